"""Monitoring at the scale of a national desk: feeds in, articles and a morning list out.

Serves N outlets from local servers, one loopback address per outlet (127.1.x.y, so the
per-host spacing applies as it would to real outlets), each with a feed of K items and their
article pages (about 33 sentences each; a share of them are wire copies of another outlet's
story, so the near-duplicate groups have work). Then:

1. measures the web's p99 (gunicorn, 2 workers) on the morning list and the article list
   with the pipeline idle;
2. runs the pipeline: WORKERS processes, each polling host batches of feeds as the queue's
   `poll_feed_batch` task does (conditional GET, per-host spacing, import through
   import_article, de-duplication, story groups, "checked before?" marks), while the same
   web load runs; it samples each worker's resident memory every second;
3. measures the web's p99 again, idle, on the full database.

Prints one JSON document: the scale run, the time, articles and sentences per second, each
worker's memory (first sample after its first batch, peak, last) and the three p99s.

    .venv/bin/python bench/monitor.py --feeds 1000 --items 10            # the issue's scale
    .venv/bin/python bench/monitor.py --feeds 100 --items 10 --workers 2  # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import resource
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import serving  # noqa: E402

PLACES = ["Riverton", "Lakeside", "Hillford", "Marsh End", "Oakbridge", "Stonehaven",
          "Northwick", "Eastmoor", "Kingsport", "Ashvale", "Brightwater", "Coldharbour"]
TOPICS = [
    "{place} council spent {a}.{b} million pounds on road repairs in {year}, officials said.",
    "Unemployment in {place} fell to {a}.{b} percent last year, the statistics office said.",
    "The mayor of {place} claimed that crime dropped by {c} percent after the new scheme.",
    "Local schools in {place} received {d} new teachers in September, the department said.",
    "Hospital waiting lists in {place} grew by {c} percent in {year}, figures show.",
    "{place} recycled {c} percent of its household waste in {year}, up from {a} percent.",
    "House prices in {place} rose {a}.{b} percent in the year to March, the registry said.",
    "The {place} bus company carried {d},{e:03d} passengers last month, a record.",
    "Police in {place} recorded {d} burglaries in {year}, {a} fewer than the year before.",
    "Councillor {name} said {place} had built {d} affordable homes since {year}.",
    "Water bills in {place} will rise by {a}.{b} percent from April, the utility announced.",
    "The river at {place} reached {a}.{b} metres on Sunday, the highest level since {year}.",
    "Residents will vote on the {place} bypass in a referendum next spring.",
    "A spokesperson said the {place} library would open on Sundays from next month.",
    "{name}, who chairs the {place} business forum, said {c} shops had closed this year.",
]
NAMES = ["Ana Silva", "Tom Reed", "Priya Shah", "Jon Okafor", "Mei Lin", "Lars Berg"]


def address(outlet: int) -> str:
    """Return the loopback address of an outlet (127.1.x.y; 127.0.0.1 stays the web's)."""
    return f"127.1.{outlet // 250}.{outlet % 250 + 1}"


def article_text(outlet: int, item: int, items: int, dup_share: float) -> tuple[str, int]:
    """Return an article's HTML and the outlet whose story it is (a wire copy: another)."""
    decide = random.Random(outlet * 100_003 + item + 7)
    source = outlet
    if outlet > 0 and decide.random() < dup_share:
        source = decide.randrange(0, outlet)  # the same story as an earlier outlet's item
    rng = random.Random(source * 100_003 + item)
    place = PLACES[rng.randrange(len(PLACES))]
    paragraphs = []
    for _ in range(11):
        sentences = []
        for _ in range(3):
            sentences.append(rng.choice(TOPICS).format(
                place=place, a=rng.randint(1, 30), b=rng.randint(0, 9),
                c=rng.randint(2, 60), d=rng.randint(20, 900), e=rng.randint(0, 999),
                year=rng.randint(2008, 2025), name=rng.choice(NAMES)))
        paragraphs.append("<p>" + " ".join(sentences) + "</p>")
    if source != outlet:  # the copy's outlet adds a line: a near-duplicate, not a copy
        paragraphs.append(f"<p>Additional reporting by the Outlet {outlet} news desk.</p>")
    title = f"{place}: report {source}-{item}"
    return (f"<!doctype html><html><head><title>{title}</title></head><body>"
            f"<nav>Outlet {outlet} home | news | sport | weather</nav><article><h1>{title}</h1>"
            + "".join(paragraphs) + f"</article><footer>(c) Outlet {outlet}</footer>"
            "</body></html>"), source


def feed_xml(outlet: int, port: int, items: int) -> str:
    base = f"http://{address(outlet)}:{port}"
    entries = "".join(
        f"<item><title>Story {i}</title><link>{base}/story/{i}</link>"
        f"<guid>{base}/story/{i}</guid><pubDate>Sun, 06 Dec 2026 05:00:00 GMT</pubDate></item>"
        for i in range(items))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {outlet}</title>'
            f"<link>{base}/</link><description>news</description>{entries}</channel></rss>")


# -- the outlets' servers: one asyncio process, one listening socket per loopback address --

def serve_outlets(outlets: int, items: int, dup_share: float, port_holder, ready) -> None:
    """Serve every outlet's feed and pages (run in its own process)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, outlets * 2 + 512)), hard))

    async def handle(reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            path = line.split(" ")[1] if " " in line else "/"
            local = writer.get_extra_info("sockname")[0]
            parts = local.split(".")
            outlet = int(parts[2]) * 250 + int(parts[3]) - 1
            etag = f'"feed-{outlet}-{items}"'
            if path == "/feed.xml":
                if f"if-none-match: {etag}".encode() in head.lower():
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n"
                                 "Connection: close\r\n\r\n".encode())
                    return
                body, kind = feed_xml(outlet, port_holder.value, items), "application/rss+xml"
            elif path.startswith("/story/"):
                body, _ = article_text(outlet, int(path.rsplit("/", 1)[1]), items, dup_share)
                kind, etag = "text/html; charset=utf-8", ""
            else:
                body, kind, etag = "not here", "text/plain", ""
            data = body.encode()
            status = "200 OK" if kind != "text/plain" else "404 Not Found"
            writer.write((f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: "
                          f"{len(data)}\r\nConnection: close\r\n"
                          + (f"ETag: {etag}\r\nLast-Modified: Sun, 06 Dec 2026 05:00:00 GMT"
                             "\r\n" if etag else "") + "\r\n").encode() + data)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
            pass
        finally:
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()

    async def main():
        first = await asyncio.start_server(handle, address(0), 0, backlog=256)
        port = first.sockets[0].getsockname()[1]
        port_holder.value = port
        servers = [first] + [await asyncio.start_server(handle, address(i), port, backlog=256)
                             for i in range(1, outlets)]
        ready.set()
        await asyncio.gather(*(s.serve_forever() for s in servers))

    asyncio.run(main())


# -- the pipeline's workers ----------------------------------------------------------------

def worker(url: str, settings: dict, batches, results, nice: int = 0,
           idle: bool = False) -> None:
    """Poll host batches from the queue until it is empty, as poll_feed_batch does."""
    if nice:
        os.nice(nice)  # as `annotator worker --nice N` runs it beside the web
    if idle:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    from annotator.engine import get_engine
    from annotator.services import jobs, polling

    engine = get_engine(url)
    poll = polling.PollSettings.from_config(settings)
    while True:
        batch = batches.get()
        if batch is None:
            break
        done = polling.poll_feeds(engine, batch, poll,
                                after_import=lambda a: jobs.run_mark_job(engine, a))
        results.put([(r.new, r.unchanged, r.errors) for r in done])


def rss_mib(pid: int) -> float:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- the web's latency ---------------------------------------------------------------------

PATHS = ["/api/v1/today?per_page=50", "/api/v1/today?per_page=20&min_score=0.9",
         "/api/v1/articles?per_page=20"]


def web_load(base: str, token: str, stop: threading.Event, samples: list,
             errors: list) -> None:
    """Ask for the morning list and the article list in turn until stopped."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    n = 0
    while not stop.is_set():
        path = PATHS[n % len(PATHS)]
        began = time.perf_counter()
        try:
            status = session.get(base + path, timeout=60).status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        if status == 200:
            samples.append((time.perf_counter() - began) * 1000)
        else:
            errors.append(f"{path}: {status}")
        n += 1


def p99(samples: list[float]) -> float | None:
    if len(samples) < 20:
        return None
    return round(statistics.quantiles(samples, n=100)[98], 1)


def summary(samples: list[float], errors: list[str]) -> dict:
    return {"requests": len(samples),
            "p50_ms": round(statistics.median(samples), 1) if samples else None,
            "p99_ms": p99(samples), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5]}


def measure(base: str, token: str, seconds: float, clients: int = 2) -> dict:
    stop, samples, errors = threading.Event(), [], []
    threads = [threading.Thread(target=web_load, args=(base, token, stop, samples, errors))
               for _ in range(clients)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return summary(samples, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=32, help="FEED_POLL_THREADS per worker")
    parser.add_argument("--host-interval", type=float, default=1.0)
    parser.add_argument("--dup-share", type=float, default=0.1)
    parser.add_argument("--nice", type=int, default=0,
                        help="run the workers at this niceness (the web stays at 0)")
    parser.add_argument("--idle", action="store_true",
                        help="run the workers in the SCHED_IDLE class (CPU only when idle)")
    parser.add_argument("--database", default="", help="a database URL (default: a temporary "
                        "SQLite file)")
    parser.add_argument("--web-seconds", type=float, default=20)
    args = parser.parse_args()

    from annotator import migrate
    from annotator.engine import get_engine, session_scope
    from annotator.services import feeds, polling, users

    folder = Path(tempfile.mkdtemp(prefix="monitor-"))
    url = args.database or f"sqlite:///{folder / 'monitor.db'}"
    migrate.upgrade(url)
    engine = get_engine(url)
    ctx = mp.get_context("spawn")
    port, ready = ctx.Value("i", 0), ctx.Event()
    site = ctx.Process(target=serve_outlets, args=(args.feeds, args.items, args.dup_share,
                                                   port, ready), daemon=True)
    site.start()
    if not ready.wait(120):
        raise SystemExit("the outlets' servers did not start")
    with session_scope(engine) as s:
        editor = users.create_user(s, "bench-editor", "editor", secrets.token_urlsafe(16))
        _, token = users.create_token(s, editor)
        ids = [feeds.add_feed(s, editor, f"http://{address(i)}:{port.value}/feed.xml",
                              f"Outlet {i}", "en").id for i in range(args.feeds)]
    settings = {"ALLOW_PRIVATE_URLS": True, "FEED_HOST_INTERVAL": args.host_interval,
                "FEED_POLL_THREADS": args.threads, "FETCH_TIMEOUT": 30}
    env = {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(16),
           "ANNOTATOR_INSTANCE": str(folder / "instance"), "CHECKED_BEFORE_JOBS": "0"}
    report: dict = {"feeds": args.feeds, "items_per_feed": args.items, "workers": args.workers,
                    "threads_per_worker": args.threads, "host_interval_s": args.host_interval,
                    "worker_nice": args.nice, "worker_sched_idle": args.idle,
                    "database": url.split(":", 1)[0], "cpus": os.cpu_count(),
                    "load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
    with serving.gunicorn("annotator.wsgi:app", folder / "gunicorn.log", env=env, workers=2,
                          probe="/login", settle=2) as (base, _pid):
        report["web_idle_before"] = measure(base, token, args.web_seconds)
        batches, results = ctx.Queue(), ctx.Queue()
        for batch in polling.host_batches(engine, ids):
            batches.put(batch)
        procs = [ctx.Process(target=worker, args=(url, settings, batches, results, args.nice,
                                                       args.idle))
                 for _ in range(args.workers)]
        for _ in procs:
            batches.put(None)
        stop, samples, errors = threading.Event(), [], []
        load = [threading.Thread(target=web_load, args=(base, token, stop, samples, errors))
                for _ in range(2)]
        began = time.monotonic()
        for p in procs:
            p.start()
        for t in load:
            t.start()
        memory = {p.pid: [] for p in procs}
        while any(p.is_alive() for p in procs):
            for p in procs:
                if p.is_alive():
                    memory[p.pid].append(round(rss_mib(p.pid), 1))
            time.sleep(1)
        elapsed = time.monotonic() - began
        stop.set()
        for t in load:
            t.join()
        totals = [0, 0, 0]
        while not results.empty():
            for row in results.get():
                totals = [a + b for a, b in zip(totals, row, strict=True)]
        report["web_during_pipeline"] = summary(samples, errors)
        report["web_idle_after"] = measure(base, token, args.web_seconds)
    from sqlalchemy import func
    from sqlmodel import select

    from annotator.models import Article, ArticleSketch, Claim

    with session_scope(engine, write=False) as s:
        articles = s.exec(select(func.count()).select_from(Article)).one()
        sentences = s.exec(select(func.count()).select_from(Claim)).one()
        groups = s.exec(select(func.count(func.distinct(ArticleSketch.group_id)))).one()
    site.terminate()
    report.update({
        "pipeline_seconds": round(elapsed, 1), "new": totals[0], "unchanged": totals[1],
        "errors": totals[2], "articles": articles, "story_groups": groups,
        "claims_stored": sentences, "articles_per_s": round(articles / elapsed, 1),
        "worker_rss_mib": {str(i): {"first": m[min(5, len(m) - 1)] if m else None,
                                    "peak": max(m) if m else None,
                                    "last": m[-1] if m else None,
                                    "quartiles": [m[int(len(m) * q)] for q in
                                                  (0.25, 0.5, 0.75)] if m else []}
                           for i, m in enumerate(memory.values())}})
    before, during = report["web_idle_before"]["p99_ms"], report["web_during_pipeline"]["p99_ms"]
    after = report["web_idle_after"]["p99_ms"]
    if during is not None and after is not None:
        report["p99_during_minus_idle_after_ms"] = round(during - after, 1)
    if during is not None and before is not None:
        report["p99_during_minus_idle_before_ms"] = round(during - before, 1)
    report["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

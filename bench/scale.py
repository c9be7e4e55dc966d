"""Scale benchmark: page times from 1,000 to 1,000,000 claims, served by gunicorn.

Builds an archive of --claims claims (30 per article; each claim with 2 sources, 1 note and
6 history events; states spread like a working desk's) with bulk INSERTs into the real
schema. On SQLite the search index, the tallies and every other index are filled by the
database triggers of migration 0007 as the rows go in, as on any other write path; on
PostgreSQL the search triggers are switched off during the build and the index is filled at
the end by the statement `annotator search reindex` runs (the tally triggers stay on). Then it
serves the archive with gunicorn (-w 2, --preload, annotator.wsgi:app) and times each page
from the client over loopback: median and p95 of --samples requests, and response size.

    nice -n 10 .venv/bin/python bench/scale.py --claims 1000 --claims 100000
    nice -n 10 .venv/bin/python bench/scale.py --claims 1000000 --keep /tmp/scale
    nice -n 10 .venv/bin/python bench/scale.py --db postgresql --claims 100000
    .venv/bin/python bench/scale.py --claims 1000000 --keep /tmp/scale --build-only
    .venv/bin/python bench/scale.py --db postgresql --claims 1000000 --build-only

Searches: a word found in 1% of claims (a city), a word in 0.1% (a topic), a phrase in 1%,
a word in every claim (its first page must come within 200 ms) and a word found nowhere.
With two sizes or more it prints each page's ratio to the smallest. --json writes the
figures to a file, for the README table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import serving  # bench/serving.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_SECRET = "bench-secret-key-0123456789"  # noqa: S105 - a throwaway benchmark key
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-password-123"  # noqa: S105  (a throwaway benchmark account)
PER_ARTICLE = 30
CITIES = [f"{c}{i}" for i in range(25) for c in ("Lagos", "Quito", "Hanoi", "Oslo")]  # 100
TOPICS = [f"{t}{i}" for i in range(100) for t in ("tariff", "vaccine", "pension", "drought",
                                                  "ferry", "census", "subsidy", "lottery",
                                                  "harbour", "orchard")]  # 1,000
SENTENCE = ("Officials in {city} said {n} activists were summoned over the {topic} dispute "
            "in {year}, a figure the ministry disputes.")
STATES = (["proposed"] * 8 + ["dismissed"] * 2 + ["open"] * 2 + ["in_progress"] * 3
          + ["in_review"] * 2 + ["approved"] * 3)  # 20 slots
VERDICTS = ["true", "mostly_true", "mixed", "misleading", "false"]
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


# ---------------------------------------------------------------- building

def build(url: str, claims: int) -> dict:
    """Fill an empty, migrated database; return the ids the pages need."""
    from sqlalchemy import insert

    from annotator.engine import get_engine, session_scope
    from annotator.models import Article, Claim, Event, Note, Source
    from annotator.services import users

    engine = get_engine(url)
    with session_scope(engine) as s:
        editor = users.create_user(s, "editor", "editor", PASSWORD, "Edith Editor")
        reviewers = [users.create_user(s, f"rev{i}", "reviewer", PASSWORD, f"Reviewer {i}").id
                     for i in range(5)]
        _token, secret = users.create_token(s, editor, "bench")
        editor_id = editor.id
    now = datetime(2026, 5, 1, tzinfo=UTC)
    claim_id = source_id = note_id = event_id = 0
    articles = (claims + PER_ARTICLE - 1) // PER_ARTICLE
    batch: dict[str, list] = {"article": [], "claim": [], "source": [], "note": [], "event": []}

    sqlite = engine.dialect.name == "sqlite"
    # On SQLite, sources and notes go in before their claims (foreign keys are checked at
    # commit): the claim's insert trigger then indexes its whole document once, instead of
    # once per row. The triggers are the same; only the order of the rows changes.
    order = (("article", Article), ("source", Source), ("note", Note), ("claim", Claim),
             ("event", Event)) if sqlite else (
             ("article", Article), ("claim", Claim), ("source", Source), ("note", Note),
             ("event", Event))

    def flush() -> None:
        with engine.begin() as conn:
            if sqlite:
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table, model in order:
                if batch[table]:
                    conn.execute(insert(model.__table__), batch[table])
                    batch[table].clear()

    search_triggers = [("claim", "claim_search_claim"), ("source", "claim_search_source"),
                       ("note", "claim_search_note")]
    if not sqlite:
        # PostgreSQL: the search triggers rebuild a claim's whole document on each of its
        # four rows (claim, 2 sources, note), about 150 claims/s here. The builder switches
        # them off and indexes everything at the end with the same statement `annotator
        # search reindex` runs; the tally triggers stay on.
        with engine.begin() as conn:
            for table, trigger in search_triggers:
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    started = time.perf_counter()
    for a in range(1, articles + 1):
        n = min(PER_ARTICLE, claims - claim_id)
        parts, spans, pos = [], [], 0
        for i in range(n):
            k = claim_id + i
            text = SENTENCE.format(city=CITIES[k % len(CITIES)],
                                   topic=TOPICS[(k * 7) % len(TOPICS)], n=k % 97,
                                   year=2000 + k % 25) + " "
            spans.append((pos, pos + len(text) - 1))
            parts.append(text)
            pos += len(text)
        body = "".join(parts)
        when = now + timedelta(minutes=a)
        batch["article"].append({
            "id": a, "title": f"Dispatch {a}: {TOPICS[a % len(TOPICS)]} row", "outlet": "News",
            "url": f"https://news.example/{a}", "byline": "A. Writer", "published": None,
            "language": "en", "body": body, "raw": body, "captions": [],
            "content_hash": f"{a:064x}", "blind_review": False, "version": 1,
            "created_by_id": editor_id, "created_at": when, "updated_at": when})
        for start, end in spans:
            claim_id += 1
            state = STATES[claim_id % len(STATES)]
            verdict = (VERDICTS[claim_id % len(VERDICTS)]
                       if state in ("in_review", "approved") else None)
            reviewer = reviewers[claim_id % len(reviewers)]
            worked = state in ("in_progress", "in_review", "approved")
            batch["claim"].append({
                "id": claim_id, "article_id": a, "start": start, "end": end,
                "quote": body[start:end], "prefix": body[max(0, start - 32):start],
                "suffix": body[end:end + 32], "statement": body[start:end][:120],
                "score": round((claim_id * 37 % 100) / 100, 2), "reasons": ["number"],
                "origin": "machine", "state": state, "verdict": verdict,
                "conclusion": "The ministry's own list names five of them." if verdict else "",
                "claimant": "", "published_url": "",
                "assignee_id": reviewer if worked else None,
                "submitted_by_id": reviewer if state in ("in_review", "approved") else None,
                "submitted_at": when if state in ("in_review", "approved") else None,
                "approved_by_id": editor_id if state == "approved" else None,
                "approved_at": when if state == "approved" else None,
                "orphaned": False, "version": 4, "created_at": when,
                "updated_at": when + timedelta(seconds=claim_id % 3600)})
            for stance in ("supports", "refutes"):
                source_id += 1
                batch["source"].append({
                    "id": source_id, "claim_id": claim_id,
                    "url": f"https://registry{source_id % 50}.example.org/{source_id}",
                    "title": f"Register extract {source_id}", "publisher": "Agency",
                    "published": None, "stance": stance, "excerpt": "The list has five names.",
                    "archived_url": "", "created_by_id": reviewer, "created_at": when,
                    "updated_at": when})
            note_id += 1
            batch["note"].append({"id": note_id, "claim_id": claim_id, "author_id": reviewer,
                                  "body": "Checked the names against the registry.",
                                  "created_at": when})
            for action in ("accept", "start", "edit", "add_source", "note", "submit"):
                event_id += 1
                batch["event"].append({
                    "id": event_id, "article_id": a, "claim_id": claim_id,
                    "actor_id": reviewer, "action": action, "old": {"state": "open"},
                    "new": {"state": state}, "comment": "", "created_at": when})
        if len(batch["claim"]) >= 3000:
            flush()
            if claim_id % 30000 < 3000:
                rate = claim_id / (time.perf_counter() - started)
                print(f"  built {claim_id:,} claims ({rate:,.0f}/s)", flush=True)
    flush()
    if not sqlite:
        from annotator.search import schema

        with engine.begin() as conn:
            for table, trigger in search_triggers:
                conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
            for statement in schema.PG_REINDEX:
                conn.exec_driver_sql(statement)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # As after any bulk load: give the planner statistics (autovacuum would, later).
            conn.exec_driver_sql("ANALYZE")
    _sync_sequences(engine)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"claims": claims, "articles": articles, "token": secret,
            "build_seconds": round(seconds, 1), "build_rate": round(claims / seconds)}


def _sync_sequences(engine) -> None:
    """On PostgreSQL, move each id sequence past the rows inserted with explicit ids."""
    if engine.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    with engine.begin() as conn:
        for table in ("article", "claim", "source", "note", "event"):
            sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                   f"(SELECT max(id) FROM {table}))")
            conn.execute(text(sql))


# ---------------------------------------------------------------- serving

def worker_memory(master: int) -> list[dict]:
    """Return RSS, PSS and USS (private) in MB of each gunicorn worker."""
    out = []
    children = Path(f"/proc/{master}/task/{master}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    # `nice` execs gunicorn, so master is gunicorn itself.
    for pid in pids:
        fields = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
                name, value = line.split(":", 1)
                fields[name] = int(value.split()[0]) / 1024
        if fields:
            out.append({"pid": pid, "rss": round(fields.get("Rss", 0)),
                        "pss": round(fields.get("Pss", 0)),
                        "uss": round(fields.get("Private_Clean", 0)
                                     + fields.get("Private_Dirty", 0))})
    return out


# ---------------------------------------------------------------- measuring

def sign_in(base: str) -> requests.Session:
    http = requests.Session()
    page = http.get(base + "/login", timeout=30)
    response = http.post(base + "/login", allow_redirects=False, timeout=30, data={
        "csrf_token": CSRF_RE.search(page.text).group(1), "username": "editor",
        "password": PASSWORD})
    assert response.status_code == 303, response.text[:300]
    home = http.get(base + "/queue", timeout=30)
    http.headers["X-CSRFToken"] = CSRF_RE.search(home.text).group(1)
    return http


def pages(info: dict) -> list[tuple[str, str, str, dict]]:
    """Return (name, method, path, options) for every page measured."""
    mid_article = max(1, info["articles"] // 2)
    claim = (mid_article - 1) * PER_ARTICLE + 5
    city = CITIES[7]
    topic = TOPICS[123]
    api = {"headers": {"Authorization": f"Bearer {info['token']}"}}
    return [
        ("index", "GET", "/", {}),
        ("article page", "GET", f"/articles/{mid_article}", {}),
        ("panel", "GET", f"/claims/{claim}", {"headers": {"HX-Request": "true"}}),
        ("save", "POST", f"/claims/{claim}", {"save": True}),
        ("claims list", "GET", "/claims", {}),
        ("claims, filtered", "GET", "/claims?state=approved", {}),
        ("claims, sorted", "GET", "/claims?sort=-score", {}),
        ("claims, filtered+sorted", "GET", "/claims?state=in_review&sort=-updated", {}),
        ("search, word 1%", "GET", f"/claims?q={city}", {}),
        ("search, word 0.1%", "GET", f"/claims?q={topic}", {}),
        ("search, phrase 1%", "GET", f'/claims?q="officials in {city}"', {}),
        ("search, word in all", "GET", "/claims?q=activists", {}),
        ("search, no hit", "GET", "/claims?q=xylophone", {}),
        ("queue", "GET", "/queue", {}),
        ("dashboard", "GET", "/dashboard", {}),
        ("API articles", "GET", "/api/v1/articles", api),
        ("API articles p2 (cursor)", "GET", "/api/v1/articles?page=2&after=NEXT", api),
        ("claims JSON", "GET", "/claims?format=json", {}),
        ("API claim", "GET", f"/api/v1/claims/{claim}", api),
    ]


def measure(base: str, info: dict, samples: int) -> dict:
    http = sign_in(base)
    results = {}
    next_cursor = ""
    for name, method, path, options in pages(info):
        options = dict(options)
        save = options.pop("save", False)
        if "NEXT" in path:
            path = path.replace("NEXT", next_cursor)
        times, size = [], 0
        for i in range(samples + 1):
            kwargs = dict(options)
            if save:
                claim = requests.get(base + f"/api/v1/claims/{path.rsplit('/', 1)[1]}",
                                     headers={"Authorization": f"Bearer {info['token']}"},
                                     timeout=30).json()
                kwargs["data"] = {"version": claim["version"],
                                  "statement": f"Officials said {i} activists were summoned."}
                kwargs["headers"] = {"HX-Request": "true"}
            began = time.perf_counter()
            response = http.request(method, base + path, timeout=120, **kwargs)
            elapsed = time.perf_counter() - began
            if response.status_code != 200:
                raise SystemExit(f"{name}: {response.status_code} {response.text[:300]}")
            if i:  # the first request warms the caches
                times.append(elapsed * 1000)
            size = len(response.content)
            if name == "API articles":
                next_cursor = response.json().get("next", "")
        times.sort()
        results[name] = {"median": statistics.median(times),
                         "p95": times[min(len(times) - 1, int(0.95 * len(times)))],
                         "kb": size / 1024}
        print(f"  {name:<26} median {results[name]['median']:7.1f} ms   "
              f"p95 {results[name]['p95']:7.1f} ms   {results[name]['kb']:7.1f} KB", flush=True)
    return results


def export_import(url: str, claims: int, folder: Path) -> dict:
    """Time the JSON export in a fresh process: claims/s and the peak RSS."""
    out = folder / "export.json"
    env = {**os.environ, "DATABASE_URL": url}
    cli = str(Path(sys.executable).parent / "annotator")
    figures = {}
    began = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-f", "%M", "nice", "-n", "10", cli, "export",
                          "--format", "json", "-o", str(out)], env=env, capture_output=True,
                         text=True)
    seconds = time.perf_counter() - began
    if run.returncode == 0:
        figures["export_rate"] = round(claims / seconds)
        figures["export_rss_mb"] = round(int(run.stderr.strip().splitlines()[-1]) / 1024)
    else:
        figures["export_error"] = run.stderr[-500:]
    return figures


def catch_up(url: str) -> None:
    """Add the tables and indexes the models gained since a kept archive was built.

    Migrations already applied are not run again when a reserved revision gets filled in
    later; creating what is missing (checkfirst) brings an old archive level with the code.
    """
    from sqlmodel import SQLModel

    from annotator import models  # noqa: F401  (registers the tables)
    from annotator.engine import get_engine

    engine = get_engine(url)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)


def run_size(kind: str, claims: int, folder: Path, samples: int, keep: bool,
             export: bool = True) -> dict:
    from annotator import migrate

    folder.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = folder / f"scale-{claims}.db"
        url = f"sqlite:///{path}"
        info_file = folder / f"scale-{claims}.json"
        fresh = not path.exists()
    else:
        import uuid

        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        schema = f"scale_{claims}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(PG_BASE, poolclass=NullPool)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
        info_file = folder / f"scale-pg-{claims}.json"
        fresh = True
    try:
        if fresh:
            migrate.upgrade(url)
            print(f"building {claims:,} claims on {kind} ...", flush=True)
            info = build(url, claims)
            info_file.write_text(json.dumps(info))
        else:
            info = json.loads(info_file.read_text())
            migrate.upgrade(url)  # migrations added since the archive was built
            catch_up(url)
        print(f"{kind}, {claims:,} claims: built at {info['build_rate']:,} claims/s", flush=True)
        with serving.gunicorn("annotator.wsgi:app", folder / "gunicorn.log",
                              env={"DATABASE_URL": url, "SECRET_KEY": BENCH_SECRET},
                              options=("--preload",), nice=10, probe="/login",
                              timeout=120) as (base, master):
            time.sleep(2)
            idle = worker_memory(master)
            results = measure(base, info, samples)
            busy = worker_memory(master)
        result = {"kind": kind, "claims": claims, "pages": results, "idle_workers": idle,
                  "busy_workers": busy, "build_rate": info["build_rate"]}
        if export:
            result.update(export_import(url, claims, folder))
        print(f"  workers idle {idle} after {busy}; export {result.get('export_rate')} claims/s, "
              f"peak RSS {result.get('export_rss_mb')} MB", flush=True)
        return result
    finally:
        if kind != "sqlite":
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        elif not keep:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{path}{suffix}").unlink()


def build_pg_archive(claims: int) -> str:
    """Build (once) a kept PostgreSQL archive in schema scale_N; return its database URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from annotator import migrate

    schema = f"scale_{claims}"
    url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    admin = create_engine(PG_BASE, poolclass=NullPool)
    with admin.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM information_schema.schemata "
                                   "WHERE schema_name = :s"), {"s": schema}).first()
        if not exists:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    migrate.upgrade(url)
    if not exists:
        info = build(url, claims)
        print(f"built {claims:,} claims at {info['build_rate']:,}/s", flush=True)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, action="append",
                        help="Archive size (repeat for several); default 1,000 and 100,000.")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="Keep (and reuse) SQLite archives here.")
    parser.add_argument("--json", type=Path, help="Write the figures to this file.")
    parser.add_argument("--no-export", action="store_true", help="Skip the export timing.")
    parser.add_argument("--build-only", action="store_true",
                        help="Build the archives and stop: SQLite files into --keep, or "
                             "with --db postgresql a kept schema scale_N (prints its URL).")
    args = parser.parse_args()
    if args.build_only and args.db == "postgresql":
        for n in sorted(args.claims or []):
            print(build_pg_archive(n), flush=True)
        return
    if args.build_only:
        from annotator import migrate

        for n in sorted(args.claims or []):
            path = args.keep / f"scale-{n}.db"
            if not path.exists():
                args.keep.mkdir(parents=True, exist_ok=True)
                migrate.upgrade(f"sqlite:///{path}")
                info = build(f"sqlite:///{path}", n)
                (args.keep / f"scale-{n}.json").write_text(json.dumps(info))
                print(f"built {n:,} claims at {info['build_rate']:,}/s", flush=True)
        return
    sizes = sorted(args.claims or [1000, 100_000])
    folder = args.keep or Path("/tmp") / f"annotator-scale-{os.getpid()}"
    results = [run_size(args.db, n, folder, args.samples, keep=args.keep is not None,
                        export=not args.no_export) for n in sizes]
    if len(results) > 1:
        small, large = results[0], results[-1]
        print(f"\n{'page':<26} {small['claims']:>10,} {large['claims']:>12,}   ratio   "
              f"limit (2x + 5 ms, <= 50 ms)")
        for name, figures in large["pages"].items():
            base = small["pages"][name]["median"]
            ok = figures["median"] <= min(50, 2 * base + 5)
            print(f"{name:<26} {base:>8.1f} ms {figures['median']:>9.1f} ms  "
                  f"{figures['median'] / base:5.2f}   {'ok' if ok else 'MISSED'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

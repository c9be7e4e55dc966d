"""Time every export format on a large database and measure the exporter's peak memory.

Builds a SQLite database of --claims claims (default 100,000), each with 2 sources, 1 note
and --events history events (default 0; a reviewed claim has 5 to 8), half of them
approved, in articles of --per-article claims. Then it
runs each format in a fresh subprocess, writing to /dev/null, and prints claims/s, output
size and the process's peak resident memory (and its growth over the baseline after imports).

    .venv/bin/python bench/export_speed.py                 # 100,000 claims
    .venv/bin/python bench/export_speed.py --claims 10000  # a quick run
    .venv/bin/python bench/export_speed.py --events 6 --formats json --import-json
    .venv/bin/python bench/export_speed.py --url postgresql+psycopg://... --formats json

--url builds in (or reuses) the database at that URL instead of a SQLite file. --import-json
then loads the JSON export into a fresh database (a SQLite file, or a scratch schema beside
--url on PostgreSQL) through `import_json`, as `annotator import-json` does, and reports
claims/s and peak memory. CPU seconds are printed too: on a shared machine, wall time lies.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FORMATS = ("json", "claimreview", "wadm", "csv")
SENTENCE = ("Officials said {n} activists were summoned to recruitment offices in {year}, "
            "a figure the ministry disputes. ")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build(url: str, claims: int, per_article: int, events: int = 0) -> None:
    """Create and fill the database with bulk inserts."""
    from sqlalchemy import insert, text

    from annotator import migrate
    from annotator.db import get_engine
    from annotator.models import Article, Claim, Event, Note, Source, User
    from annotator.search import schema

    migrate.upgrade(url)
    engine = get_engine(url)
    postgres = engine.dialect.name == "postgresql"
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(User.__table__), [
            {"id": i, "username": name, "display_name": name.title(), "role": role,
             "password_hash": "!", "active": True, "created_at": now}
            for i, (name, role) in enumerate([("editor", "editor"), ("ana", "reviewer"),
                                              ("ben", "reviewer")], 1)])
    claim_id = source_id = note_id = event_id = 0
    articles = (claims + per_article - 1) // per_article
    for a in range(1, articles + 1):
        n = min(per_article, claims - claim_id)
        parts, spans, pos = [], [], 0
        for i in range(n):
            sentence = SENTENCE.format(n=i + a, year=2000 + i % 25)
            spans.append((pos, pos + len(sentence) - 1))
            parts.append(sentence)
            pos += len(sentence)
        body = "".join(parts)
        rows = {"claim": [], "source": [], "note": [], "event": []}
        for start, end in spans:
            claim_id += 1
            approved = claim_id % 2 == 0
            rows["claim"].append({
                "id": claim_id, "article_id": a, "start": start, "end": end,
                "quote": body[start:end], "prefix": body[max(0, start - 32):start],
                "suffix": body[end:end + 32], "statement": body[start:end][:80],
                "score": 0.75, "reasons": ["number", "attribution"], "origin": "machine",
                "state": "approved" if approved else "in_progress",
                "verdict": "mostly_true" if approved else "false",
                "conclusion": "The ministry's own list names five of them.",
                "assignee_id": 2, "submitted_by_id": 2 if approved else None,
                "submitted_at": now if approved else None,
                "approved_by_id": 1 if approved else None,
                "approved_at": now + timedelta(hours=1) if approved else None,
                "orphaned": False, "version": 4, "created_at": now, "updated_at": now})
            for stance in ("supports", "refutes"):
                source_id += 1
                rows["source"].append({
                    "id": source_id, "claim_id": claim_id, "url": f"https://s.example/{source_id}",
                    "title": f"Source {source_id}", "publisher": "Agency", "published": None,
                    "stance": stance, "excerpt": "The list has five names.", "archived_url": "",
                    "created_by_id": 2, "created_at": now, "updated_at": now})
            note_id += 1
            rows["note"].append({"id": note_id, "claim_id": claim_id, "author_id": 3,
                                 "body": "Checked the **names** against the registry.",
                                 "created_at": now})
            for action in ("accept", "start", "edit", "add_source", "note", "submit",
                           "approve", "reopen")[:events]:
                event_id += 1
                rows["event"].append({
                    "id": event_id, "article_id": a, "claim_id": claim_id, "actor_id": 2,
                    "action": action, "old": {"state": "open"}, "new": {"state": "x"},
                    "comment": "", "created_at": now})
        with engine.begin() as conn:
            if postgres:  # as import-json does: index each article once, not each row
                conn.execute(text("SELECT set_config(:n, 'on', true)"),
                             {"n": schema.DEFER_SETTING})
            conn.execute(insert(Article.__table__), [{
                "id": a, "title": f"Article {a}", "url": f"https://news.example/{a}",
                "outlet": "News", "byline": "A. Writer", "published": None, "language": "en",
                "body": body, "raw": body, "captions": [], "content_hash": f"{a:064x}",
                "blind_review": False, "version": 1, "created_by_id": 1, "created_at": now,
                "updated_at": now}])
            for table, model in (("claim", Claim), ("source", Source), ("note", Note),
                                 ("event", Event)):
                if rows[table]:
                    conn.execute(insert(model.__table__), rows[table])
            if postgres:
                conn.execute(text(schema.pg_fill("c.article_id = :a")), {"a": a})
    engine.dispose()


def run_one(url: str, fmt: str, output: str = os.devnull) -> dict:
    """Export one format to /dev/null in this process; return the measurements."""
    from annotator.db import get_engine, new_session
    from annotator.exports import run_export

    engine = get_engine(url)
    session = new_session(engine)
    session.connection()  # connect before the baseline
    baseline = _rss_mb()
    counted = {"claims": 0}

    def progress(done: int) -> None:
        counted["claims"] = done

    size = 0
    started, cpu = time.perf_counter(), _cpu()
    with open(output, "w", encoding="utf-8") as sink:
        for chunk in run_export(session, fmt, base_url="https://desk.example",
                                desk_name="Bench desk", progress=progress):
            sink.write(chunk)
            size += len(chunk)
    seconds = time.perf_counter() - started
    session.close()
    return {"format": fmt, "claims": counted["claims"], "seconds": seconds,
            "cpu": _cpu() - cpu, "chars": size, "peak_mb": _rss_mb(), "baseline_mb": baseline}


def run_import(url: str, path: str) -> dict:
    """Load a JSON export into the (empty) database at url in this process."""
    from annotator import migrate
    from annotator.db import get_engine, session_scope
    from annotator.services.json_import import import_json

    migrate.upgrade(url)
    engine = get_engine(url)
    baseline = _rss_mb()
    started, cpu = time.perf_counter(), _cpu()
    with open(path, "rb") as fh, session_scope(engine) as session:
        report = import_json(session, fh)
    return {"format": "import-json", "claims": report.claims,
            "seconds": time.perf_counter() - started, "cpu": _cpu() - cpu,
            "chars": os.path.getsize(path), "peak_mb": _rss_mb(), "baseline_mb": baseline}


def _scratch(url: str, tmp: str) -> tuple[str, object]:
    """Return an empty database URL for the import, and how to drop it afterwards."""
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp}/imported.db", lambda: None
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"bench_import_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.rsplit("/", 1)[0] + "/" + name, drop


def _line(r: dict) -> str:
    rate = r["claims"] / r["seconds"] if r["seconds"] else 0
    per_cpu = r["claims"] / r["cpu"] if r["cpu"] else 0
    return (f"{r['format']:<12} {r['claims']:>9,} {r['seconds']:>8.2f} {rate:>10,.0f} "
            f"{per_cpu:>12,.0f} {r['chars'] / 1e6:>10.1f} {r['peak_mb']:>12.0f} "
            f"{r['peak_mb'] - r['baseline_mb']:>10.0f}")


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--per-article", type=int, default=50)
    parser.add_argument("--db", type=Path, help="Reuse or keep the database at this path.")
    parser.add_argument("--url", help="Build in (or reuse) the database at this URL instead.")
    parser.add_argument("--events", type=int, default=0, help="History events per claim (<= 8).")
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--import-json", action="store_true",
                        help="Also time loading the JSON export into a fresh database.")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    parser.add_argument("--output", default=os.devnull, help=argparse.SUPPRESS)
    parser.add_argument("--run-import", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        print(json.dumps(run_one(args.url, args.run_one, args.output)))
        return
    if args.run_import:
        print(json.dumps(run_import(args.url, args.run_import)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.db"
        url = args.url or f"sqlite:///{path}"
        if not _has_claims(url):
            started = time.perf_counter()
            build(url, args.claims, args.per_article, args.events)
            print(f"built {args.claims:,} claims (2 sources, 1 note, {args.events} events each) in "
                  f"{time.perf_counter() - started:.1f} s")
        print(f"{'format':<12} {'claims':>9} {'seconds':>8} {'claims/s':>10} "
              f"{'claims/CPU s':>12} {'output MB':>10} {'peak RSS MB':>12} {'growth MB':>10}")
        for fmt in filter(None, args.formats.split(",")):
            print(_line(_child("--url", url, "--run-one", fmt)), flush=True)
        if args.import_json:
            document = str(Path(tmp) / "export.json")
            _child("--url", url, "--run-one", "json", "--output", document)
            target, drop = _scratch(url, tmp)
            try:
                print(_line(_child("--url", target, "--run-import", document)), flush=True)
            finally:
                drop()


def _has_claims(url: str) -> bool:
    from sqlalchemy import create_engine, inspect, text

    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return False
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("claim"):
            return False
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT count(*) FROM claim")).scalar())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()

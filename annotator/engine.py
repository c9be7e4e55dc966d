"""Engines and sessions: SQLite (WAL, busy timeout, immediate write transactions) or PostgreSQL.

No Flask here: services, jobs, the CLI and benchmarks open sessions through this module;
`annotator.db` adds the per-request session on top.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

# Long enough that a burst of reviewers queues instead of failing with "database is locked".
SQLITE_BUSY_MS = 30_000
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """Return the one engine for this database URL, configured for concurrent use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    _configure_postgresql(engine)
    return engine


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # psycopg parses json/jsonb columns itself; orjson does it several times faster than
        # the standard library (an export reads hundreds of thousands of them).
        from psycopg.types.json import set_json_loads

        set_json_loads(orjson.loads, dbapi_conn)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A write transaction takes the write lock with BEGIN IMMEDIATE (a deferred one that
        # reads and then writes can fail at once with SQLITE_BUSY, which the busy timeout
        # never covers), but only at its first write (issue 19): until then its reads run
        # one statement at a time, as PostgreSQL's read committed does, so hashing,
        # fetching, extracting or training before the first write holds no lock.
        write = bool(conn.get_execution_options().get("write"))
        conn.info[_PENDING_WRITE] = write
        if not write:
            conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(conn, cursor, statement, _params, _context, _many):
        if not conn.info.get(_PENDING_WRITE) or _reads_only(statement):
            return
        conn.info[_PENDING_WRITE] = False
        if statement.lstrip()[:5].upper() != "BEGIN":
            cursor.execute("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(conn):
        conn.info[_PENDING_WRITE] = False


_PENDING_WRITE = "annotator_write_lock_pending"
_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def _reads_only(statement: str) -> bool:
    head = statement.lstrip()[:7].upper()
    if head.startswith("SELECT") or head.startswith("EXPLAIN"):
        return True
    return head.startswith("WITH") and not _WRITES.search(statement)


def lock_for_write(session: Session) -> None:
    """Take SQLite's write lock now, not at the first write (PostgreSQL: nothing to do).

    For the few read-then-write steps that must run alone (counting sign-in attempts).
    """
    connection = session.connection()
    if connection.info.get(_PENDING_WRITE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# SQLite's write-ahead log starts again from its beginning only at a moment when no reader
# still uses it. Under a steady stream of readers and writers (a busy desk, the feed
# pipeline's imports) that moment may never come: the log then grows without bound, and every
# read gets slower with it, as each page is looked up in the whole log's index. So after a
# write commits, a log past WAL_RESET_BYTES is checkpointed without waiting (PASSIVE); when
# all but the newest frames could be copied, it is truncated (TRUNCATE), waiting at most
# WAL_RESET_WAIT_MS for the readers of the moment to move on. That step holds the write lock,
# so it is tried at most once a second per process; when a long reader (an export) keeps
# older frames in use, it is not tried, and not again for WAL_RESET_BACKOFF seconds.
WAL_RESET_BYTES = 64 * 1024 * 1024
WAL_RESET_WAIT_MS = 100
WAL_RESET_BACKOFF = 30.0
# Under steady writes the newest frames are always in use by someone for a moment: up to this
# many left over (16 MiB of 4 KiB pages) are the readers of the moment, not a long reader.
WAL_RESET_LEFT_FRAMES = 4096
_wal_reset_lock = threading.Lock()
_wal_reset_next = [0.0]


def reset_wal_if_large(engine: Engine, limit: int = WAL_RESET_BYTES) -> bool | None:
    """Checkpoint and truncate a SQLite WAL over ``limit`` bytes; None when not tried.

    Return True when the log was reset, False when a reader kept it (tried again later).
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return None
    try:
        if os.path.getsize(f"{database}-wal") < limit:
            return None
    except OSError:
        return None
    now = time.monotonic()
    if now < _wal_reset_next[0] or not _wal_reset_lock.acquire(blocking=False):
        return None
    try:
        _wal_reset_next[0] = now + 1.0
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            # First copy what can be copied without waiting for anyone (no write lock). If
            # frames are left, a reader still needs an older state of the database (a long
            # export, say): starting the log over would only keep writers waiting for it.
            busy, frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if not busy and frames - copied <= WAL_RESET_LEFT_FRAMES:
                raw.execute(f"PRAGMA busy_timeout={WAL_RESET_WAIT_MS}")
                try:
                    busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                except sqlite3.OperationalError:  # locked past the wait: as good as busy
                    busy = 1
                finally:
                    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            else:
                busy = 1
        if busy:
            _wal_reset_next[0] = time.monotonic() + WAL_RESET_BACKOFF
        return not busy
    finally:
        _wal_reset_lock.release()


def new_session(engine: Engine, *, write: bool = False) -> Session:
    """Open a session; a write session takes SQLite's write lock when it begins."""
    if not write:
        return Session(engine, expire_on_commit=False)
    session = Session(engine.execution_options(write=True), expire_on_commit=False)
    session.info["read_engine"] = engine
    # Views commit once; what they read afterwards (the page or fragment they answer with)
    # needs no write lock, so other writers need not wait while it renders.
    event.listen(session, "after_commit", _read_from_now_on)
    return session


def _read_from_now_on(session: Session) -> None:
    session.bind = session.info["read_engine"]
    reset_wal_if_large(session.bind)


@contextlib.contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """Run one transaction outside a request (CLI, jobs): commit on success, else roll back."""
    session = new_session(engine, write=write)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

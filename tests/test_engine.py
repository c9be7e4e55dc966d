"""A write session takes no write lock before its first write (issue 19); SQLite's WAL is
reset once it has grown under a steady stream of readers (issue 23); SQLite's writers take
turns for the write lock in a queue (issue 19)."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from annotator import engine as engine_module
from annotator.engine import (
    get_engine,
    new_session,
    reset_wal_if_large,
    session_scope,
    writer_turns,
)
from annotator.models import User


def test_a_write_session_that_has_only_read_holds_no_lock(engine, people):
    slow = new_session(engine, write=True)
    try:
        # The request reads (the user loader), then works for a while (hashing,
        # extracting, training) before its first write ...
        assert slow.exec(select(User).where(User.id == people["viewer"])).first()
        # ... meanwhile another writer commits at once instead of waiting for it.
        with session_scope(engine) as other:
            if other.get_bind().dialect.name == "sqlite":
                other.connection().exec_driver_sql("PRAGMA busy_timeout=200")
            other.exec(update(User).where(User.id == people["editor"])
                       .values(display_name="Other writer"))
        # The slow one then writes and commits normally, seeing the other's change.
        slow.exec(update(User).where(User.id == people["viewer"])
                  .values(display_name="Slow writer"))
        slow.commit()
    finally:
        slow.close()
    with new_session(engine) as check:
        names = {u.id: u.display_name for u in check.exec(select(User)).all()}
    assert names[people["editor"]] == "Other writer"
    assert names[people["viewer"]] == "Slow writer"


def test_a_wal_grown_under_a_reader_is_truncated_once_the_reader_moves_on(tmp_path,
                                                                           monkeypatch):
    path = tmp_path / "wal.db"
    sqlite = get_engine(f"sqlite:///{path}")
    with sqlite.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE t (x BLOB)")
    monkeypatch.setattr(engine_module, "_wal_reset_next", [0.0])
    reader = sqlite.connect()
    reader.exec_driver_sql("SELECT count(*) FROM t").fetchall()  # holds its snapshot
    for _ in range(40):  # 2.5 MB of writes, each its own transaction, as a desk makes them
        with sqlite.begin() as writer:
            writer.exec_driver_sql("INSERT INTO t VALUES (zeroblob(65536))")
    wal = f"{path}-wal"
    assert os.path.getsize(wal) > 2_000_000  # the reader kept the log from starting over
    assert reset_wal_if_large(sqlite, limit=1_000_000) is False  # it still does
    assert reset_wal_if_large(sqlite, limit=1_000_000) is None  # once a second at most
    reader.rollback()
    reader.close()
    monkeypatch.setattr(engine_module, "_wal_reset_next", [0.0])
    assert reset_wal_if_large(sqlite, limit=1_000_000) is True
    assert os.path.getsize(wal) == 0
    with sqlite.connect() as check:
        assert check.exec_driver_sql("SELECT count(*) FROM t").scalar() == 40
    assert reset_wal_if_large(sqlite, limit=1_000_000) is None  # a small log is left alone
    sqlite.dispose()


# -- SQLite writers take turns (issue 19) ------------------------------------------------------

def _sqlite(tmp_path):
    sqlite = get_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with sqlite.begin() as setup:
        setup.exec_driver_sql("CREATE TABLE t (who TEXT)")
    return sqlite, f"{tmp_path / 'turns.db'}-writers"


def _taken(path) -> bool:
    """Tell whether some writer holds the turn (tried from a descriptor of our own)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never came"
        time.sleep(0.005)


def test_a_write_transaction_holds_the_writers_turn_until_it_ends(tmp_path):
    sqlite, path = _sqlite(tmp_path)
    for end in ("commit", "rollback", "close"):
        session = new_session(sqlite, write=True)
        session.connection().exec_driver_sql("SELECT count(*) FROM t").all()
        assert not _taken(path)  # reading takes no turn
        session.connection().exec_driver_sql("INSERT INTO t VALUES ('one')")
        assert _taken(path)
        getattr(session, end)()
        assert not _taken(path)
        session.close()
    sqlite.dispose()


def test_waiting_writers_queue_for_their_turn_and_all_write(tmp_path):
    sqlite, path = _sqlite(tmp_path)
    holder = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process is writing

    def write(name):
        with session_scope(sqlite) as session:
            session.connection().exec_driver_sql("INSERT INTO t VALUES (?)", (name,))

    writers = [threading.Thread(target=write, args=(f"w{n}",)) for n in range(3)]
    for writer in writers:
        writer.start()
    # Each waits in the kernel's queue for the turn, not in SQLite's polling (the write lock
    # itself is free all along).
    _until(lambda: sum(t.name == "sqlite-writer-turn" for t in threading.enumerate()) == 3)
    with sqlite.connect() as check:
        assert check.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    os.close(holder)
    for writer in writers:
        writer.join(10)
    with sqlite.connect() as check:
        assert sorted(r[0] for r in check.exec_driver_sql("SELECT who FROM t")) == [
            "w0", "w1", "w2"]
    assert not _taken(path)
    sqlite.dispose()


def test_a_turn_that_does_not_come_is_not_waited_for_past_its_limit(tmp_path, monkeypatch):
    sqlite, path = _sqlite(tmp_path)
    monkeypatch.setattr(writer_turns(sqlite), "wait", 0.2)
    holder = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)  # held and never given back (a stuck process)
    try:
        with session_scope(sqlite) as session:  # SQLite's own lock is free: it writes
            session.connection().exec_driver_sql("INSERT INTO t VALUES ('late')")
        # The helper that waited gives the turn back the moment it gets it.
    finally:
        os.close(holder)
    _until(lambda: not any(t.name == "sqlite-writer-turn" for t in threading.enumerate()))
    assert not _taken(path)
    with sqlite.connect() as check:
        assert check.exec_driver_sql("SELECT who FROM t").scalar() == "late"
    sqlite.dispose()


def test_a_thread_already_writing_does_not_queue_behind_itself(tmp_path, monkeypatch):
    sqlite, _ = _sqlite(tmp_path)
    waits = []
    monkeypatch.setattr(engine_module, "_wait_for_flock",
                        lambda fd, seconds: waits.append(seconds) or os.close(fd) or False)
    outer = new_session(sqlite, write=True)
    try:
        outer.connection().exec_driver_sql("INSERT INTO t VALUES ('outer')")
        inner = new_session(sqlite, write=True)
        inner.connection().connection.dbapi_connection.execute("PRAGMA busy_timeout=50")
        with pytest.raises(OperationalError, match="locked"):
            inner.connection().exec_driver_sql("INSERT INTO t VALUES ('inner')")
        inner.close()
    finally:
        outer.close()
    assert waits == []  # SQLite's wait answered (as before the queue), not the turn's
    sqlite.dispose()


def test_postgresql_has_no_writers_queue(engine):
    assert (writer_turns(engine) is None) == (engine.dialect.name == "postgresql")


# Pooled PostgreSQL connections are checked only after being idle (issue 19)

def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def _terminate(url: str, pid: int) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    killer = create_engine(url, poolclass=NullPool)
    with killer.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})").scalar()
    killer.dispose()


def test_a_dead_pooled_postgresql_connection_is_replaced_once_it_has_been_idle(
        fresh_database, monkeypatch):
    url = fresh_database("postgresql", revision=None)
    engine = get_engine(url)
    first = _backend_pid(engine)
    _terminate(url, first)
    # Back in the pool "longer than the threshold" (0 s): checked, found dead, replaced.
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    second = _backend_pid(engine)
    assert second != first
    engine.dispose()


def test_a_postgresql_connection_returned_a_moment_ago_is_not_pinged_again(
        fresh_database, monkeypatch):
    url = fresh_database("postgresql", revision=None)
    engine = get_engine(url)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
    first = _backend_pid(engine)  # a new connection: checked once
    assert _backend_pid(engine) == first and _backend_pid(engine) == first
    assert len(pings) == 1
    # The check is what catches a dead one: unchecked, a killed connection fails in use.
    _terminate(url, first)
    with pytest.raises(OperationalError):
        _backend_pid(engine)
    engine.dispose()

"""A write session takes no write lock before its first write (issue 19); SQLite's WAL is
reset once it has grown under a steady stream of readers (issue 23)."""

from __future__ import annotations

import os

from sqlalchemy import update
from sqlmodel import select

from annotator import engine as engine_module
from annotator.engine import get_engine, new_session, reset_wal_if_large, session_scope
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

"""A write session takes no write lock before its first write (issue 19)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import select

from annotator.engine import new_session, session_scope
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

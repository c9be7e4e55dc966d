"""People and the verdict scale as every exporter shows them: public shapes, never secrets."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session
from sqlmodel import select as orm_select

from annotator.models import User, UserPublic, UserRecord, Verdict
from annotator.presenters import present


class People:
    """Turn user ids into the public shape (``UserPublic``); never secrets."""

    def __init__(self, session: Session):
        rows = session.exec(select(User.id, User.username, User.display_name, User.role,
                                      User.active)).all()
        self._by_id = {r.id: present(UserPublic, r, None) for r in rows}
        self._records = {r.id: present(UserRecord, r, None) for r in rows}

    def __call__(self, user_id: int | None) -> dict | None:
        # Shared, never mutated: callers serialise it.
        return self._by_id.get(user_id) if user_id is not None else None

    def username(self, user_id: int | None) -> str:
        person = self._by_id.get(user_id) if user_id is not None else None
        return person["username"] if person else ""

    def all(self) -> list[dict]:
        """Return everyone as the export's list of people (with whether they are active)."""
        return [self._records[uid] for uid in sorted(self._records)]


def verdict_scale(session: Session) -> list[Verdict]:
    """Return the verdict scale in its display order."""
    return list(session.exec(orm_select(Verdict).order_by(Verdict.position, Verdict.key)).all())

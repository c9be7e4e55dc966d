"""@mentions: who a note names, stored in the mention table as the note is written.

A mapper event on Note writes the rows in the note's own transaction, whichever service or
importer added the note; `rebuild` recomputes them all (used by `annotator search reindex`).
"""

from __future__ import annotations

import re

from sqlalchemy import delete, event, func, insert, select
from sqlmodel import Session

from annotator.models import Mention, Note, User

MENTION_RE = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]{2,64})")


def mentioned_usernames(text: str) -> set[str]:
    """Return the usernames @mentioned in a text, lower-cased."""
    return {name.lower() for name in MENTION_RE.findall(text or "")}


def _user_ids(connection, names: set[str]) -> list[int]:
    if not names:
        return []
    return list(connection.execute(
        select(User.id).where(func.lower(User.username).in_(sorted(names)))).scalars())


@event.listens_for(Note, "after_insert")
def _note_written(_mapper, connection, note: Note) -> None:
    ids = _user_ids(connection, mentioned_usernames(note.body))
    if ids:
        connection.execute(insert(Mention), [{"note_id": note.id, "user_id": i} for i in ids])


@event.listens_for(Note, "after_update")
def _note_edited(_mapper, connection, note: Note) -> None:
    connection.execute(delete(Mention).where(Mention.note_id == note.id))
    _note_written(_mapper, connection, note)


def rebuild(session: Session) -> int:
    """Recompute every note's mentions; return how many there are."""
    connection = session.connection()
    connection.execute(delete(Mention))
    users = {name.lower(): uid for uid, name in connection.execute(
        select(User.id, User.username)).all()}
    rows = set()
    for note_id, body in connection.execute(select(Note.id, Note.body)
                                            .where(Note.body.like("%@%"))):
        rows.update((note_id, users[n]) for n in mentioned_usernames(body) if n in users)
    if rows:
        connection.execute(insert(Mention), [{"note_id": n, "user_id": u}
                                             for n, u in sorted(rows)])
    return len(rows)

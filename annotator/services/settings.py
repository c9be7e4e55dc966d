"""Desk-wide settings, kept in the database so every app server reads the same value."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from annotator.models import Setting

BLIND_REVIEW_DEFAULT = "blind_review_default"
SCORER_WEIGHTS = "scorer_weights"  # the desk's retrained check-worthiness scorer


def get(session: Session, key: str, default: Any = None) -> Any:
    """Return a desk setting's value, or default when it was never set."""
    row = session.exec(select(Setting).where(Setting.key == key)).first()
    return default if row is None else row.value


def put(session: Session, key: str, value: Any) -> Any:
    """Set a desk setting; return its previous value."""
    row = session.exec(select(Setting).where(Setting.key == key)).first()
    old = None if row is None else row.value
    if row is None:
        row = Setting(key=key)
    row.value = value
    session.add(row)
    return old

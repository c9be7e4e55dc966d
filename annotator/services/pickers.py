"""The search-as-you-type pickers: articles by title or id, active reviewers by name."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, User
from annotator.sanitize import bounded_int

PICK_LIMIT = 20


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def articles(session: Session, text: str, limit: int = PICK_LIMIT) -> list[tuple[int, str]]:
    """Return (id, title) of the newest articles whose title holds the text, or whose id it is."""
    query = select(Article.id, Article.title)
    if bounded_int(text, low=1) is not None:
        query = query.where(Article.id == int(text))
    elif text:
        query = query.where(func.lower(Article.title).like(_like(text), escape="\\"))
    return list(session.exec(query.order_by(Article.id.desc()).limit(limit)).all())


def article_title(session: Session, article_id: int) -> str:
    """Return an article's title, or "" when there is no such article."""
    return session.exec(select(Article.title).where(Article.id == article_id)).first() or ""


def reviewers(session: Session, text: str = "", limit: int = PICK_LIMIT) -> list[User]:
    """Return active people who can review, by username, whose name holds the text."""
    query = select(User).where(User.active, User.role.in_(
        [r for r in review.ROLES if review.role_at_least(r, review.REVIEWER)]))
    if text:
        pattern = _like(text)
        query = query.where((func.lower(User.username).like(pattern, escape="\\"))
                            | (func.lower(User.display_name).like(pattern, escape="\\")))
    return list(session.exec(query.order_by(User.username).limit(limit)).all())

"""Every table, plus the small input shapes the services validate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC, as every timestamp column wants."""
    return datetime.now(UTC)


ROLES = ("admin", "editor", "reviewer", "viewer")
STANCES = ("supports", "refutes", "context")
ORIGINS = ("machine", "person")


# A team member who signs in; deactivated users keep their history.
class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=120)
    role: str = Field(default="reviewer", max_length=16)
    password_hash: str = Field(default="", max_length=255)
    active: bool = Field(default=True)
    # Bumped by a password or role change: sessions signed in before it stop working.
    session_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = Field(default_factory=utcnow)

    # The four members Flask-Login reads, written out so models.py needs no Flask import.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


# A bearer token for the JSON API, stored as a SHA-256 digest only.
class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(default="", max_length=120)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


# One label of the desk's verdict scale and its ClaimReview mapping.
class Verdict(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=64)
    colour: str = Field(default="#888888", max_length=7)
    alternate_name: str = Field(default="", max_length=64)
    rating_value: int | None = None
    needs_source: bool = Field(default=True)
    position: int = Field(default=0)


# An imported article; claim offsets point into its cleaned body.
class Article(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    url: str = Field(default="", max_length=2000)
    outlet: str = Field(default="", max_length=200)
    byline: str = Field(default="", max_length=500)
    published: date | None = None
    language: str = Field(default="en", max_length=8)
    body: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(sa_column=Column(Text, nullable=False))
    captions: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64, unique=True, index=True)
    blind_review: bool = Field(default=False)
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# A check-worthy span of an article and the desk's review of it.
class Claim(SQLModel, table=True):
    __table_args__ = (Index("ix_claim_article_start", "article_id", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id")
    start: int
    end: int
    quote: str = Field(sa_column=Column(Text, nullable=False))
    prefix: str = Field(default="", max_length=200)
    suffix: str = Field(default="", max_length=200)
    statement: str = Field(sa_column=Column(Text, nullable=False))
    score: float = Field(default=0.0)
    reasons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    origin: str = Field(default="machine", max_length=16)
    state: str = Field(default="proposed", max_length=16, index=True)
    verdict: str | None = Field(default=None, foreign_key="verdict.key", max_length=32)
    conclusion: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Who made the claim (a person or organisation, as text): part of what gets published.
    claimant: str = Field(default="", max_length=300,
                          sa_column_kwargs={"server_default": text("''")})
    # Where the desk published its fact-check; an editor may set it on an approved claim.
    published_url: str = Field(default="", max_length=2000,
                               sa_column_kwargs={"server_default": text("''")})
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    submitted_at: datetime | None = None
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime | None = None
    orphaned: bool = Field(default=False)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# Evidence attached to a claim, with its stance towards it.
class Source(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    url: str = Field(max_length=2000)
    title: str = Field(default="", max_length=500)
    publisher: str = Field(default="", max_length=200)
    published: date | None = None
    stance: str = Field(default="context", max_length=16)
    excerpt: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    archived_url: str = Field(default="", max_length=2000)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# A Markdown comment in a claim's discussion thread.
class Note(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="user.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# One append-only history entry: who did what to which claim or article, old and new values.
class Event(SQLModel, table=True):
    __table_args__ = (
        Index("ix_event_claim", "claim_id", "id"),
        Index("ix_event_article", "article_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int | None = Field(default=None, foreign_key="article.id")
    claim_id: int | None = Field(default=None, foreign_key="claim.id")
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=32)
    old: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    new: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, index=True)


# Desk-wide settings kept in the database so every app server sees the same value.
class Setting(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))


# An independent second verdict recorded blind, without seeing the first one.
class BlindReview(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("claim_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    reviewer_id: int = Field(foreign_key="user.id", index=True)
    verdict: str = Field(foreign_key="verdict.key", max_length=32)
    conclusion: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)


# A failed sign-in, counted per account and per address; in the database so every app
# server sees the same counts.
class LoginAttempt(SQLModel, table=True):
    __table_args__ = (
        Index("ix_loginattempt_username_at", "username", "created_at"),
        Index("ix_loginattempt_address_at", "address", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(default="", max_length=64)
    address: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


# A background export or import, with its progress, shared by every app server.
class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # export or import
    format: str = Field(default="", max_length=16)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="queued", max_length=16, index=True)  # queued running done failed
    done: int = Field(default=0)
    total: int = Field(default=0)
    filename: str = Field(default="", max_length=200)
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# One piece of a finished job's output file, so any app server can stream it back.
class JobChunk(SQLModel, table=True):
    job_id: int = Field(foreign_key="job.id", primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))

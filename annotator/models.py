"""Every table, and the SQLModel family of each public thing.

As in SQLModel's docs: a ``*Base`` holds the fields the table and its shapes share, the table
class adds the database-only columns, ``*Public`` is what the API, the native export and the
OpenAPI schemas show (``annotator.presenters`` turns rows into it), and ``*Create`` /
``*Update`` are what a client may send. A field added to a ``*Base`` reaches all of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from annotator.review import ROLES, STATES
from annotator.sanitize import MAX_INT


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC, as every timestamp column wants."""
    return datetime.now(UTC)


STANCES = ("supports", "refutes", "context")
# Field limits used by more than one shape; every other limit is written once, on its field.
MAX_STATEMENT = 2000
MAX_CONCLUSION = 5000
MAX_NOTE = 20_000


def max_length(shape: type[SQLModel], name: str) -> int | None:
    """Return a field's maximum length as its shape declares it (forms' ``maxlength``)."""
    info = shape.model_fields.get(name)
    if info is None:
        return None
    return next((m.max_length for m in info.metadata if hasattr(m, "max_length")), None)


def _enum(values) -> dict:
    """Return Field kwargs that list a column's allowed values in the JSON Schema."""
    return {"schema_extra": {"json_schema_extra": {"enum": list(values)}}}


# What everyone may see of a person: never a password hash, token or email.
class UserBase(SQLModel):
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=120)
    role: str = Field(default="reviewer", max_length=16, **_enum(ROLES))


# A team member who signs in; deactivated users keep their history.
class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
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
class VerdictBase(SQLModel):
    key: str = Field(primary_key=True, max_length=32)
    label: str = Field(max_length=64)
    colour: str = Field(default="#888888", max_length=7)
    alternate_name: str = Field(default="", max_length=64)
    rating_value: int | None = None
    needs_source: bool = Field(default=True)


class Verdict(VerdictBase, table=True):
    position: int = Field(default=0)


# An imported article; claim offsets point into its cleaned body.
class ArticleBase(SQLModel):
    title: str = Field(max_length=500)
    url: str = Field(default="", max_length=2000)
    outlet: str = Field(default="", max_length=200)
    byline: str = Field(default="", max_length=500)
    published: date | None = None
    language: str = Field(default="en", max_length=8)


# The cleaned text claims point into, and what identifies it; shown with one article only.
class ArticleContent(SQLModel):
    body: str = Field(sa_column=Column(Text, nullable=False))
    captions: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64, unique=True, index=True)


class Article(ArticleBase, ArticleContent, table=True):
    id: int | None = Field(default=None, primary_key=True)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    # Issue 20: each line the cleaner took out, {"text", "reason", "at"} (`at`: the body
    # offset it stood at), listed under the article and restorable.
    cleaned_away: list[Any] = Field(default_factory=list, sa_column=Column(
        JSON().with_variant(JSONB(), "postgresql"), nullable=False,
        server_default=text("'[]'")))
    # Indexed: "which articles are blind" is asked on every page a reviewer opens, and the
    # column sits after the long body (SQLite would read every article's overflow pages).
    blind_review: bool = Field(default=False, index=True)
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Issue 23: the feed whose item this article was imported from (its source).
    feed_id: int | None = Field(default=None, foreign_key="feed.id", index=True)


class ClaimBase(SQLModel):
    article_id: int = Field(foreign_key="article.id")
    start: int
    end: int
    quote: str = Field(sa_column=Column(Text, nullable=False))
    prefix: str = Field(default="", max_length=200)
    suffix: str = Field(default="", max_length=200)
    statement: str = Field(max_length=MAX_STATEMENT, sa_column=Column(Text, nullable=False))
    score: float = Field(default=0.0)
    reasons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    origin: str = Field(default="machine", max_length=16, **_enum(("machine", "person")))
    state: str = Field(default="proposed", max_length=16, index=True, **_enum(STATES))
    verdict: str | None = Field(default=None, foreign_key="verdict.key", max_length=32)
    conclusion: str = Field(default="", max_length=MAX_CONCLUSION,
                            sa_column=Column(Text, nullable=False, default=""))
    # Who made the claim (a person or organisation, as text): part of what gets published.
    claimant: str = Field(default="", max_length=300,
                          sa_column_kwargs={"server_default": text("''")})
    # Where the desk published its fact-check; an editor may set it on an approved claim.
    published_url: str = Field(default="", max_length=2000,
                               sa_column_kwargs={"server_default": text("''")})
    # Issue 20: the named steps from quote to statement ({"step", "from", "to"}, in the order
    # applied) and the short questions the statement leaves open ("who is “he”?").
    rewrite: list[Any] = Field(default_factory=list, sa_column=Column(
        JSON().with_variant(JSONB(), "postgresql"), nullable=False,
        server_default=text("'[]'")))
    needs_context: list[Any] = Field(default_factory=list, sa_column=Column(
        JSON().with_variant(JSONB(), "postgresql"), nullable=False,
        server_default=text("'[]'")))
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    orphaned: bool = Field(default=False)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# A check-worthy span of an article and the desk's review of it.
class Claim(ClaimBase, table=True):
    __table_args__ = (Index("ix_claim_article_start", "article_id", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    submitted_by_id: int | None = Field(default=None, foreign_key="user.id")
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")


class SourceBase(SQLModel):
    url: str = Field(max_length=2000)
    title: str = Field(default="", max_length=500)
    publisher: str = Field(default="", max_length=200)
    published: date | None = None
    stance: str = Field(default="context", max_length=16, **_enum(STANCES))
    excerpt: str = Field(default="", max_length=10_000,
                         sa_column=Column(Text, nullable=False, default=""))
    archived_url: str = Field(default="", max_length=2000)


# Evidence attached to a claim, with its stance towards it.
class Source(SourceBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class NoteBase(SQLModel):
    body: str = Field(min_length=1, max_length=MAX_NOTE, sa_column=Column(Text, nullable=False))


# A Markdown comment in a claim's discussion thread.
class Note(NoteBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    author_id: int | None = Field(default=None, foreign_key="user.id")
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
    # Issue 19: the published fields (review.PUBLISHED_FIELDS) this action changed, worked
    # out by comparing the claim before and after; four eyes reads only this.
    # JSONB on PostgreSQL: its server default can be compared (json has no "=").
    fields: list[Any] = Field(default_factory=list, sa_column=Column(
        JSON().with_variant(JSONB(), "postgresql"), nullable=False,
        server_default=text("'[]'")))
    # Issue 19: history brought in by an import (never authorship or approval here).
    imported: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


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
    # Issue 19: an attempt whose password check is still running is no failure yet.
    pending: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # ... and one waiting for its turn (as many as may run at once) is neither running nor
    # failed: it only holds a place, so the rest are refused at once instead of waiting.
    waiting: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


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
    # Issue 21: the worker running a job writes its heartbeat every few seconds; a running job
    # whose heartbeat stops is queued again. `attempts` counts the times a worker took it.
    heartbeat_at: datetime | None = None
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


# One piece of a finished job's output file, so any app server can stream it back.
class JobChunk(SQLModel, table=True):
    job_id: int = Field(foreign_key="job.id", primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


# Another outlet's published fact-check, loaded from ClaimReview JSON-LD.
class ExternalFactCheck(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # The feed's schema.org identifier, where it gives one; with the url, what makes it unique.
    identifier: str = Field(default="", max_length=500, index=True)
    url: str = Field(default="", max_length=2000, index=True)
    claim_reviewed: str = Field(max_length=2000, sa_column=Column(Text, nullable=False))
    title: str = Field(default="", max_length=500)
    summary: str = Field(default="", max_length=5000,
                         sa_column=Column(Text, nullable=False, default=""))
    rating: str = Field(default="", max_length=200)
    publisher: str = Field(default="", max_length=200)
    author: str = Field(default="", max_length=200)
    claimant: str = Field(default="", max_length=300)
    published: date | None = None
    language: str = Field(default="", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# One text the matcher can retrieve (an approved desk claim or an external fact-check); the
# full-text index over it (FTS5 / tsvector) is made by migration 0008, outside the models.
class MatchCandidate(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # desk or external
    ref_id: int
    claim: str = Field(sa_column=Column(Text, nullable=False))
    title: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    claimant: str = Field(default="", max_length=300)
    published: date | None = None  # the fact-check's date: a claim resurfaces near it


# Claims counted per state and verdict ("" for none). Database triggers (migration 0007) keep
# it in step with every write to claim, in the same transaction, so the dashboard reads a few
# rows instead of counting the archive.
class ClaimTally(SQLModel, table=True):
    state: str = Field(primary_key=True, max_length=16)
    verdict: str = Field(default="", primary_key=True, max_length=32)
    n: int = Field(default=0)


# Submitted reviews per person per week (the week's Monday), kept by a trigger on event.
class ReviewTally(SQLModel, table=True):
    week: date = Field(primary_key=True)
    user_id: int = Field(primary_key=True, foreign_key="user.id")
    n: int = Field(default=0)


# Someone @mentioned in a note, written with the note, so the queue needn't scan notes.
class Mention(SQLModel, table=True):
    __table_args__ = (Index("ix_mention_user_note", "user_id", "note_id"),)

    note_id: int = Field(foreign_key="note.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)


# "Checked before?" for the article page: a claim's earlier fact-checks, worked out by a
# background job after its article's import (services.matching.compute_marks).
class MatchMark(SQLModel, table=True):
    claim_id: int = Field(foreign_key="claim.id", primary_key=True, ondelete="CASCADE")
    matches: int = 0
    best_kind: str = Field(default="", max_length=16)
    best_label: str = Field(default="", max_length=300)
    probability: float = 0.0
    computed_at: datetime = Field(default_factory=utcnow)


# Indexes behind every sortable column of the claims list (keyset paging reads them in order).
for _column in ("score", "state", "verdict", "assignee_id", "submitted_by_id", "updated_at"):
    Index(f"ix_claim_{_column}_id", Claim.__table__.c[_column], Claim.__table__.c.id)
Index("ix_claim_article_id_id", Claim.__table__.c.article_id, Claim.__table__.c.id)
# The claims list filtered by state and sorted; my queue (assigned to me, by state).
for _column in ("score", "updated_at"):
    Index(f"ix_claim_state_{_column}_id", Claim.__table__.c.state, Claim.__table__.c[_column],
          Claim.__table__.c.id)
Index("ix_claim_assignee_state_id", Claim.__table__.c.assignee_id, Claim.__table__.c.state,
      Claim.__table__.c.id)
# Claims sent back with a change request, found without reading every claim's history.
Index("ix_event_action_claim", Event.__table__.c.action, Event.__table__.c.claim_id)
del _column


# -- public shapes: what the API, the native export and the OpenAPI schemas show ----------
# A field typed ``UserPublic | None`` is read from the row's ``<name>_id`` column; a
# ``validation_alias`` names the column when the public name differs from it.


# A person as others see them (an export's and the API's "assignee", "author", ...).
class UserPublic(UserBase):
    pass


# A person in the export's list of people: the public shape and whether they may sign in.
class UserRecord(UserPublic):
    active: bool = True


# One label of the verdict scale as the export and the admin page show it.
class VerdictPublic(VerdictBase):
    pass


# An article in a list: its own fields, not its text.
class ArticlePublic(ArticleBase):
    id: int
    blind_review: bool = False
    created_by: UserPublic | None = None
    created_at: datetime | None = None


# One article with its cleaned text, as the export and GET /articles/{id} show it.
class ArticleDocument(ArticlePublic, ArticleContent):
    pass


# A new article from text, HTML or a URL to fetch (POST /articles).
class ArticleCreate(SQLModel):
    text: str | None = None
    html: str | None = None
    url: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=500)
    outlet: str | None = Field(default=None, max_length=200)
    byline: str | None = Field(default=None, max_length=500)
    published: str | None = None
    language: str | None = Field(default=None, max_length=8)


# Issue 22: a source's archived copy as the API and the export show it (DESIGN "Source
# snapshots"); a source has ``null`` until one is tried.
class SnapshotPublic(SQLModel):
    status: str = Field(**_enum(("pending", "stored", "failed")))
    fetched_at: datetime | None = None
    sha256: str = ""
    final_url: str = ""
    http_status: int | None = None
    content_type: str = ""
    quote: str = Field(default="none", **_enum(("found", "not_found", "none")))
    health: str = Field(default="unchecked", **_enum(
        ("unchecked", "unchanged", "changed", "moved", "gone")))
    error: str = ""


# A source as the API and the export show it.
class SourcePublic(SourceBase):
    id: int
    created_by: UserPublic | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    snapshot: SnapshotPublic | None = None  # issue 22


# A new source (POST /claims/{id}/sources); ``published`` is a date, YYYY-MM-DD.
class SourceCreate(SourceBase):
    pass


# A note as the API and the export show it; ``body`` is the Markdown as written.
class NotePublic(NoteBase):
    id: int
    author: UserPublic | None = None
    created_at: datetime | None = None


# A new note (POST /claims/{id}/notes).
class NoteCreate(NoteBase):
    pass


# A history entry as the export shows it.
class EventPublic(SQLModel):
    id: int
    action: str
    actor: UserPublic | None = None
    at: datetime | None = Field(default=None, validation_alias="created_at")
    old: Any = None
    new: Any = None
    comment: str = ""
    # Issue 19: the published fields the action changed; older files have none.
    fields: list[str] = []
    imported: bool = False


# A claim as the API and the export show it. ``blinded`` is true when the reader may not see
# its first verdict yet (blind second review): verdict and conclusion are left empty then.
class ClaimPublic(ClaimBase):
    id: int
    assignee: UserPublic | None = None
    submitted_by: UserPublic | None = None
    approved_by: UserPublic | None = None
    blinded: bool = False


# A claim with its sources and notes (GET /claims/{id}).
class ClaimPublicWithChildren(ClaimPublic):
    sources: list[SourcePublic] = []
    notes: list[NotePublic] = []


# A claim in the native export: with its history too.
class ClaimRecord(ClaimPublicWithChildren):
    history: list[EventPublic] = []


# An article with its claims (GET /articles/{id}).
class ArticlePublicWithClaims(ArticleDocument):
    claims: list[ClaimPublic] = []


# A change to a claim (PATCH /claims/{id}); ``version`` is the one the change is based on.
class ClaimUpdate(SQLModel):
    version: int = Field(ge=1, le=MAX_INT)
    statement: str | None = Field(default=None, max_length=MAX_STATEMENT)
    verdict: str | None = Field(default=None, max_length=32)
    conclusion: str | None = Field(default=None, max_length=MAX_CONCLUSION)
    claimant: str | None = Field(default=None, max_length=300)
    published_url: str | None = Field(default=None, max_length=2000)


# A signed-in browser session (issue 10): the cookie holds a random secret whose digest is
# stored here, so logging out, deactivation, a password or role change or an admin's reset
# ends it on the server, whatever copy of the cookie is replayed.
class LoginSession(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("secret_hash"),
                      Index("ix_loginsession_user", "user_id", "ended_at"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    secret_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = Field(default=None)


# -- issue 22: source snapshots and link health ---------------------------------------------
# What the desk archived of a source (one row per source, made when it is attached): the
# fetch's outcome, whether the excerpt is on the page, and what the last link check found.
# The bytes themselves are in SourceArchive, so lists and exports never load them.
class SourceSnapshot(SQLModel, table=True):
    source_id: int = Field(foreign_key="source.id", primary_key=True, ondelete="CASCADE")
    status: str = Field(default="pending", max_length=16, index=True)  # pending stored failed
    attempts: int = 0
    requested_at: datetime = Field(default_factory=utcnow)
    fetched_at: datetime | None = None
    sha256: str = Field(default="", max_length=64)
    final_url: str = Field(default="", max_length=2000)
    http_status: int | None = None
    content_type: str = Field(default="", max_length=200)
    size: int = 0
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    quote: str = Field(default="none", max_length=16)  # found not_found none
    quote_start: int | None = None
    quote_end: int | None = None
    health: str = Field(default="unchecked", max_length=16, index=True)
    change: int | None = None  # per cent of the text that changed, at the last check
    moved_to: str = Field(default="", max_length=2000)
    checked_at: datetime | None = None
    check_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    etag: str = Field(default="", max_length=500)
    last_modified: str = Field(default="", max_length=100)


# The archived bytes of a stored snapshot: the response as a gzipped WARC record and the
# page's extracted text, zlib-compressed; in the database, so a backup carries them.
class SourceArchive(SQLModel, table=True):
    source_id: int = Field(foreign_key="source.id", primary_key=True, ondelete="CASCADE")
    warc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    text_z: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


# -- issue 23: feeds, their items, and groups of articles telling the same story -----------

# A news feed (RSS, Atom or JSON Feed) polled on a schedule; its new items become articles.
class Feed(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000, unique=True)
    outlet: str = Field(max_length=200)
    language: str = Field(default="", max_length=8)
    active: bool = Field(default=True)
    # What the last answer said, sent back as If-None-Match / If-Modified-Since.
    etag: str = Field(default="", max_length=500)
    last_modified: str = Field(default="", max_length=200)
    status: str = Field(default="new", max_length=16)  # new ok error
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    failures: int = Field(default=0)  # errors in a row: the back-off doubles with each
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = Field(default=None, index=True)
    last_new: int = Field(default=0)
    items_seen: int = Field(default=0)
    version: int = Field(default=1)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# One item a feed listed, remembered so the next poll neither fetches nor imports it again.
class FeedItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("feed_id", "guid"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id")
    guid: str = Field(max_length=2000)
    url: str = Field(default="", max_length=2000, index=True)  # canonical, once fetched
    title: str = Field(default="", max_length=500)
    status: str = Field(default="imported", max_length=16)  # imported duplicate error
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    article_id: int | None = Field(default=None, foreign_key="article.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


# A group of articles carrying the same story (near-duplicates by shingle similarity).
class ArticleGroup(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


# An article's MinHash sketch of its word shingles, and the group it joined.
class ArticleSketch(SQLModel, table=True):
    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="articlegroup.id", index=True)
    signature: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


# One locality-sensitive band of a sketch: articles sharing a band are compared.
class ArticleBand(SQLModel, table=True):
    band: str = Field(max_length=24, primary_key=True)
    article_id: int = Field(foreign_key="article.id", primary_key=True, ondelete="CASCADE")


# When each person last opened the morning list ("new since you last looked").
class TodaySeen(SQLModel, table=True):
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    seen_at: datetime = Field(default_factory=utcnow)


# URL de-duplication of feed items looks articles up by their (canonical) address.
Index("ix_article_url", Article.__table__.c.url)


# -- issue 20: "not the same claim" -----------------------------------------------------------
# A reviewer's "not the same claim" for one (claim, earlier fact-check) pair: that match is
# hidden from the claim from then on (the history has the event), and it is a negative
# example when the matcher is retrained (services.matching.feedback).
class MatchRejection(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("claim_id", "kind", "ref_id"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)  # desk or external, as a match's kind
    ref_id: int  # the desk claim's or the external fact-check's id
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


# -- issue 21: webhooks ------------------------------------------------------------------------
# An address other systems gave us: each event it asked for is POSTed there, signed with its
# secret (Standard Webhooks). The secret is shown once, when the endpoint is added.
class WebhookEndpoint(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    secret: str = Field(max_length=100)
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


# One event for one endpoint: the exact body signed and sent, until delivered or given up.
class WebhookDelivery(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhookendpoint.id", index=True, ondelete="CASCADE")
    event: str = Field(max_length=32)
    msg_id: str = Field(max_length=64, unique=True)  # the webhook-id header
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16, index=True)  # pending delivered failed
    attempts: int = 0
    next_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# One try of a delivery: when, the answer's status code (none if no answer), how long, why not.
class WebhookAttempt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhookdelivery.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow)
    status_code: int | None = None
    duration_ms: int = 0
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))

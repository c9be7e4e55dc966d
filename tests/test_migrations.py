"""The migrations build exactly the schema models.py declares, and upgrade data without loss.

Each test runs on SQLite and on PostgreSQL (a fresh schema, as the suite's fixtures make it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, select
from sqlmodel import SQLModel

from annotator import migrate
from annotator.db import get_engine, session_scope
from annotator.models import Claim, Event, Note, Source, User, Verdict  # registers every table
from annotator.services import jobs, users

KINDS = ["sqlite", "postgresql"]
DEFAULT_VERDICTS = ["true", "mostly_true", "mixed", "misleading", "mostly_false", "false",
                    "unproven", "not_a_claim", "opinion"]
WHEN = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def schema_diff(url: str) -> list:
    """Return Alembic's autogenerate diff between the database and the models."""
    with get_engine(url).connect() as conn:
        # The same comparison options as annotator/migrations/env.py uses.
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True,
                        "include_object": migrate.include_object})
        return compare_metadata(context, SQLModel.metadata)


@pytest.mark.parametrize("kind", KINDS)
def test_the_migrations_build_exactly_the_models_schema(fresh_database, kind):
    url = fresh_database(kind)
    assert migrate.current(url) == migrate.head(url)
    assert schema_diff(url) == []


def _seed_0001(conn, tables) -> None:
    """Fill a revision-0001 database with one of everything, as a desk would have it."""
    t = tables
    conn.execute(t["user"].insert(), [
        {"id": 1, "username": "ed", "display_name": "Édith Editor", "role": "editor",
         "password_hash": "$argon2id$fake", "active": True, "created_at": WHEN},
        {"id": 2, "username": "rev", "display_name": "Rev Iewer", "role": "reviewer",
         "password_hash": "$argon2id$fake2", "active": False, "created_at": WHEN},
    ])
    conn.execute(t["apitoken"].insert(), [
        {"id": 1, "user_id": 1, "name": "cms", "token_hash": "a" * 64, "created_at": WHEN,
         "expires_at": None, "revoked_at": None, "last_used_at": WHEN},
    ])
    conn.execute(t["setting"].insert(), [{"id": 1, "key": "desk", "value": {"name": "Desk"}}])
    # A desk's own label, added before 0002 seeded the default scale.
    conn.execute(t["verdict"].insert(), [
        {"key": "satire", "label": "Satire", "colour": "#123456", "alternate_name": "Satire",
         "rating_value": None, "needs_source": False, "position": 20},
    ])
    body = "Ministers said 40 percent of schools closed. Nobody — not even «them» — agreed."
    conn.execute(t["article"].insert(), [
        {"id": 1, "title": "Schools “closed”", "url": "https://example.org/a", "outlet": "Gazette",
         "byline": "A. Writer", "published": date(2026, 2, 28), "language": "en", "body": body,
         "raw": body + "\n", "captions": [[0, 5]], "content_hash": "c" * 64,
         "blind_review": False, "version": 3, "created_by_id": 1, "created_at": WHEN,
         "updated_at": WHEN},
    ])
    conn.execute(t["claim"].insert(), [
        {"id": 1, "article_id": 1, "start": 0, "end": 44, "quote": body[:44], "prefix": "",
         "suffix": body[44:76], "statement": "40% of schools closed", "score": 0.8125,
         "reasons": ["number", "official"], "origin": "machine", "state": "in_progress",
         "verdict": "satire", "conclusion": "Needs **care**.", "assignee_id": 2,
         "submitted_by_id": None, "submitted_at": None, "approved_by_id": None,
         "approved_at": None, "orphaned": False, "version": 4, "created_at": WHEN,
         "updated_at": WHEN},
        {"id": 2, "article_id": 1, "start": 45, "end": 80, "quote": body[45:80],
         "prefix": body[13:45], "suffix": "", "statement": "Nobody agreed", "score": 0.25,
         "reasons": [], "origin": "person", "state": "proposed", "verdict": None,
         "conclusion": "", "assignee_id": None, "submitted_by_id": None,
         "submitted_at": None, "approved_by_id": None, "approved_at": None,
         "orphaned": True, "version": 1, "created_at": WHEN, "updated_at": WHEN},
    ])
    conn.execute(t["source"].insert(), [
        {"id": 1, "claim_id": 1, "url": "https://gov.example/stats", "title": "Statistics",
         "publisher": "Ministry", "published": date(2026, 1, 2), "stance": "refutes",
         "excerpt": "12 percent", "archived_url": "https://archive.example/x",
         "created_by_id": 2, "created_at": WHEN, "updated_at": WHEN},
    ])
    conn.execute(t["note"].insert(), [
        {"id": 1, "claim_id": 1, "author_id": 2, "body": "Call the *ministry*.",
         "created_at": WHEN},
    ])
    conn.execute(t["event"].insert(), [
        {"id": 1, "article_id": 1, "claim_id": None, "actor_id": 1, "action": "import",
         "old": None, "new": {"title": "Schools", "proposed": 2}, "comment": "",
         "created_at": WHEN},
        {"id": 2, "article_id": 1, "claim_id": 1, "actor_id": 2, "action": "edit",
         "old": {"statement": "x"}, "new": {"statement": "40% of schools closed"},
         "comment": "tightened", "created_at": WHEN},
    ])


def _snapshot(conn, tables) -> dict:
    """Read every row of the given tables, ordered by primary key."""
    out = {}
    for name, table in tables.items():
        order = list(table.primary_key.columns)
        out[name] = [dict(row._mapping) for row in conn.execute(select(table).order_by(*order))]
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_an_upgrade_from_the_first_revision_keeps_every_row(fresh_database, kind):
    url = fresh_database(kind, revision="0001")
    engine = get_engine(url)
    old = MetaData()
    old.reflect(engine)
    tables = {name: table for name, table in old.tables.items() if name != "alembic_version"}
    with engine.begin() as conn:
        _seed_0001(conn, tables)
        before = _snapshot(conn, tables)
    engine.dispose()

    migrate.upgrade(url)

    assert migrate.current(url) == migrate.head(url)
    new = MetaData()
    new.reflect(engine)
    with engine.connect() as conn:
        # The columns 0001 had, read through the head schema's tables.
        after = _snapshot(conn, {name: new.tables[name] for name in tables})
    for name, rows in before.items():
        if name == "verdict":
            continue
        assert [{k: r[k] for k in rows[0]} for r in after[name]] == rows, name
    assert len(before["claim"]) == 2 and len(before["event"]) == 2

    with session_scope(engine, write=False) as session:
        keys = [v.key for v in session.exec(select(Verdict).order_by(Verdict.position)).scalars()]
        assert keys == [*DEFAULT_VERDICTS, "satire"]
        claim = session.get(Claim, 1)
        assert claim.verdict == "satire" and claim.version == 4 and claim.reasons[0] == "number"
        assert claim.created_at == WHEN
        assert session.get(User, 1).display_name == "Édith Editor"
        assert session.get(Source, 1).published == date(2026, 1, 2)
        assert session.get(Note, 1).body == "Call the *ministry*."
        assert session.get(Event, 2).new == {"statement": "40% of schools closed"}
    assert schema_diff(url) == []


# -- issue 20: held back as its own state ----------------------------------------------------

BUDGET = "below the proposal budget"


@pytest.mark.parametrize("kind", KINDS)
def test_0013_moves_budget_held_claims_to_held_back_and_keeps_the_tallies(fresh_database,
                                                                          kind):
    url = fresh_database(kind, revision="0012")
    engine = get_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    body = "One. Two. Three. Four. Five."
    claim = {"article_id": 1, "prefix": "", "suffix": "", "score": 0.2, "origin": "machine",
             "verdict": None, "conclusion": "", "orphaned": False, "version": 1,
             "created_at": WHEN, "updated_at": WHEN}
    with engine.begin() as conn:
        conn.execute(t["user"].insert(), [
            {"id": 1, "username": "ed", "display_name": "Ed", "role": "editor",
             "password_hash": "x", "active": True, "created_at": WHEN}])
        conn.execute(t["article"].insert(), [
            {"id": 1, "title": "T", "url": "", "outlet": "", "byline": "", "published": None,
             "language": "en", "body": body, "raw": body, "captions": [],
             "content_hash": "d" * 64, "blind_review": False, "version": 1,
             "created_by_id": 1, "created_at": WHEN, "updated_at": WHEN}])
        conn.execute(t["claim"].insert(), [
            # Held back at import, never touched: moves.
            {**claim, "id": 1, "start": 0, "end": 4, "quote": "One.", "statement": "One.",
             "reasons": ["number", BUDGET], "state": "dismissed"},
            # Restored, then dismissed by a person: a dismiss event says so; stays.
            {**claim, "id": 2, "start": 5, "end": 9, "quote": "Two.", "statement": "Two.",
             "reasons": [BUDGET], "state": "dismissed", "version": 3},
            # Dismissed by a person, never held back: stays.
            {**claim, "id": 3, "start": 10, "end": 16, "quote": "Three.",
             "statement": "Three.", "reasons": ["number"], "state": "dismissed",
             "version": 2},
            # Proposed: stays.
            {**claim, "id": 4, "start": 17, "end": 22, "quote": "Four.", "statement": "Four.",
             "reasons": ["number"], "state": "proposed"},
            # Held back too, on the same article: moves.
            {**claim, "id": 5, "start": 23, "end": 28, "quote": "Five.", "statement": "Five.",
             "reasons": [BUDGET], "state": "dismissed"},
        ])
        conn.execute(t["event"].insert(), [
            {"id": 1, "article_id": 1, "claim_id": 2, "actor_id": 1, "action": "restore",
             "old": None, "new": None, "comment": "", "created_at": WHEN},
            {"id": 2, "article_id": 1, "claim_id": 2, "actor_id": 1, "action": "dismiss",
             "old": None, "new": None, "comment": "", "created_at": WHEN},
            {"id": 3, "article_id": 1, "claim_id": 3, "actor_id": 1, "action": "dismiss",
             "old": None, "new": None, "comment": "", "created_at": WHEN},
        ])
        tallies = dict(conn.execute(select(t["claimtally"].c.state, t["claimtally"].c.n)
                                    .where(t["claimtally"].c.n > 0)).all())
    assert tallies == {"dismissed": 4, "proposed": 1}
    engine.dispose()

    migrate.upgrade(url, "0013")

    with engine.connect() as conn:
        states = dict(conn.execute(select(t["claim"].c.id, t["claim"].c.state)).all())
        tallies = dict(conn.execute(select(t["claimtally"].c.state, t["claimtally"].c.n)
                                    .where(t["claimtally"].c.n > 0)).all())
    assert states == {1: "held_back", 2: "dismissed", 3: "dismissed", 4: "proposed",
                      5: "held_back"}
    # The tallies (the dashboard's counts) moved with the rows: 2 dismissed by people.
    assert tallies == {"held_back": 2, "dismissed": 2, "proposed": 1}
    engine.dispose()


# -- issue 19: long values compressed without holding a core ---------------------------------

def test_0020_stores_long_postgresql_values_with_lz4_and_downgrades(fresh_database):
    url = fresh_database("postgresql")
    engine = get_engine(url)
    query = ("SELECT c.relname, a.attname, a.attcompression, a.attstorage FROM pg_attribute a "
             "JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = "
             "current_schema()::regnamespace AND (c.relname, a.attname) IN (('jobchunk', "
             "'data'), ('article', 'body'), ('article', 'raw'), ('sourcearchive', 'warc'), "
             "('sourcearchive', 'text_z'))")

    def columns():
        with engine.connect() as conn:
            return {(t, c): (comp, storage) for t, c, comp, storage
                    in conn.exec_driver_sql(query).all()}

    assert columns() == {("jobchunk", "data"): ("l", "x"), ("article", "body"): ("l", "x"),
                         ("article", "raw"): ("l", "x"), ("sourcearchive", "warc"): ("", "e"),
                         ("sourcearchive", "text_z"): ("", "e")}
    # A long value written now is kept with lz4.
    text = " ".join(f"Sentence {n} of a long pasted article." for n in range(60_000))
    with session_scope(engine) as session:
        editor = users.create_user(session, "ed", "editor", "a-long-password-1")
        job = jobs.store_upload(session, editor, "article", "pasted", text.encode())
        job_id = job.id
    with engine.connect() as conn:
        method = conn.exec_driver_sql("SELECT pg_column_compression(data) FROM jobchunk "
                                      "WHERE job_id = %s", (job_id,)).scalar()
    assert method == "lz4"
    engine.dispose()
    migrate.upgrade(url, "0020")  # (already there: nothing to do)
    command.downgrade(migrate.alembic_config(url), "0019")
    assert set(columns().values()) == {("", "x")}
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_0021_lets_an_import_count_its_claims_at_its_end_and_downgrades(fresh_database, kind):
    url = fresh_database(kind)
    engine = get_engine(url)

    def tally_function() -> str | None:
        if kind == "sqlite":
            return None
        with engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT prosrc FROM pg_proc WHERE proname = 'claimtally_trg' AND "
                "pronamespace = current_schema()::regnamespace").scalar()

    if kind == "postgresql":
        assert "annotator.defer_tally" in tally_function()
    engine.dispose()
    command.downgrade(migrate.alembic_config(url), "0020")
    if kind == "postgresql":
        body = tally_function()
        assert "annotator.defer_tally" not in body and "pg_advisory_xact_lock(7012012)" in body
    engine.dispose()
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head(url) == "0021"
    if kind == "postgresql":
        assert "annotator.defer_tally" in tally_function()
    engine.dispose()

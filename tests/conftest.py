"""Fixtures shared by the whole suite: app, client, runner, users, the shared data folder.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names a PostgreSQL
database, in which case each test gets a fresh schema there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from annotator import create_app, migrate
from annotator.db import get_engine, session_scope
from annotator.review import ROLES
from annotator.services import users as user_service

# The "checked before?" marks job runs on the queue after each import (inline in tests);
# tests that want it turn it on (tests/web/test_checked_before.py, the browser tests), the
# rest keep imports alone.
os.environ.setdefault("CHECKED_BEFORE_JOBS", "0")
# Issue 22: archiving a source fetches its page; tests reach no outside site, so only the
# tests that archive from their own 127.0.0.1 server turn it on (SNAPSHOTS in their config).
os.environ.setdefault("SNAPSHOTS", "0")

# Issue 21: unit tests run the queue's tasks inline (huey's immediate mode, in this process
# only); tests/test_worker.py runs real consumers (`annotator worker`) on SQLite and Redis.
from annotator import tasks as _tasks  # noqa: E402

_tasks.huey.immediate = True


@pytest.fixture(autouse=True)
def _no_task_runtime_left():
    """Each test starts with no queue runtime bound (inline tasks use its own database)."""
    token = _tasks._current.set(None)
    yield
    _tasks._current.reset(token)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Keep Argon2id but with small costs: the suite creates hundreds of users."""
    from argon2 import PasswordHasher

    original = user_service._hasher
    user_service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    user_service._DUMMY_HASH = user_service._hasher.hash("dummy")
    yield
    user_service._hasher = original


@pytest.fixture(scope="session")
def shared() -> Path:
    """Return ../shared, which CI lays beside the clone."""
    assert SHARED.is_dir(), f"../shared is missing at {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """Migrate one SQLite file to head; each test copies it instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    get_engine(f"sqlite:///{path}").dispose()
    return path


@contextlib.contextmanager
def _admin(base: str):
    """Connect to the server for housekeeping, keeping no pooled connection afterwards.

    (An engine left in get_engine's cache would be evicted later with a connection still
    open, and its ResourceWarning would fail whichever test happened to be running.)
    """
    engine = create_engine(base, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _postgres_schema(base: str) -> tuple[str, str]:
    """Create a fresh schema; return its name and a URL whose connections use it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _admin(base) as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    # The application name tags this test's connections so teardown can find stragglers.
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}"


def _drop_postgres_schema(base: str, schema: str, url: str) -> None:
    """Close the test's connections, end any that leaked, and drop its schema."""
    get_engine(url).dispose()
    with _admin(base) as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = :name AND pid <> pg_backend_pid()"),
                     {"name": schema})
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


# What a test may change in its schema's catalog (tables, columns, triggers and whether they
# are on, functions): a schema whose print changed is dropped, not used again.
_CATALOG_PRINT = """
SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
  SELECT 'r:' || c.relname || ':' || c.relkind::text || ':' || (
           SELECT string_agg(a.attname || '/' || a.atttypid::text, ';' ORDER BY a.attnum)
           FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
           AND NOT a.attisdropped)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(s)s
  UNION ALL
  SELECT 't:' || t.tgname || ':' || t.tgenabled::text FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(s)s AND NOT t.tgisinternal
  UNION ALL
  SELECT 'p:' || p.proname || ':' || md5(p.prosrc) FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(s)s
) found(x)
"""


def _libpq(base: str) -> str:
    """The server's address as libpq (pg_dump, psycopg) spells it."""
    return base.replace("postgresql+psycopg://", "postgresql://", 1)


class PostgresSchemas:
    """Fresh, migrated schemas for the tests on PostgreSQL, made fast.

    One schema is migrated with Alembic; pg_dump writes its script (tables, functions,
    triggers, sequences, and the rows the migrations put in). A new schema replays that
    script: the migrated schema itself, copied. After a test its schema is emptied and
    given its rows again (triggers and foreign keys off while it is, as pg_restore does),
    and the next test takes it, unless the test changed its catalog (then it is dropped).
    Each use has its own connection URL (application name), so no engine, pool or cache of
    one test is the next one's. tests/test_migrations.py migrates step by step for real.
    """

    def __init__(self, base: str):
        self.base, self.libpq = base, _libpq(base)
        self.clean: list[str] = []
        self.prints: dict[str, str] = {}
        self.uses = 0
        schema, url = _postgres_schema(base)
        try:
            migrate.upgrade(url)
            get_engine(url).dispose()
            ddl = self._dump("--schema-only", schema)
            self.rows = self._dump("--data-only", schema, "--inserts")
        finally:
            _drop_postgres_schema(base, schema, url)
        self.template, self.script = schema, ddl + "\n" + self.rows

    def _dump(self, what: str, schema: str, *more: str) -> str:
        out = subprocess.run(["pg_dump", what, "--no-owner", "--no-privileges", *more,
                              "--schema", schema, self.libpq],
                             check=True, capture_output=True, text=True).stdout
        # psql's own commands (\restrict, \unrestrict) are not SQL.
        return "\n".join(line for line in out.splitlines() if not line.startswith("\\"))

    def _print(self, conn, schema: str) -> str:
        return conn.execute(_CATALOG_PRINT, {"s": schema}).fetchone()[0]

    def take(self) -> tuple[str, str]:
        """Return a clean schema's name and a URL of its own for this use."""
        if self.clean:
            schema = self.clean.pop()
        else:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(self.libpq) as conn:  # one transaction
                conn.execute(self.script.replace(self.template, schema).encode())
                self.prints[schema] = self._print(conn, schema)
        self.uses += 1
        sep = "&" if "?" in self.base else "?"
        return schema, (f"{self.base}{sep}options=-csearch_path%3D{schema}"
                        f"&application_name={schema}-{self.uses}")

    def give_back(self, schema: str, url: str) -> None:
        """End the test's connections; empty the schema for the next test, or drop it."""
        get_engine(url).dispose()
        with psycopg.connect(self.libpq, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                         "split_part(application_name, '-', 1) = %s "
                         "AND pid <> pg_backend_pid()", (schema,))
            if self._print(conn, schema) != self.prints[schema]:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE'.encode())
                return
        with psycopg.connect(self.libpq) as conn:  # one transaction
            conn.execute("SET LOCAL session_replication_role = replica")
            tables = [row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
            conn.execute(sql.SQL("; ").join(
                sql.SQL("DELETE FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(t))
                for t in tables))
            conn.execute(self.rows.replace(self.template, schema).encode())
        self.clean.append(schema)

    def close(self) -> None:
        with psycopg.connect(self.libpq, autocommit=True) as conn:
            for schema in self.clean:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


@pytest.fixture(scope="session")
def postgres_schemas():
    """The suite's schemas on PostgreSQL (None on SQLite, or without pg_dump)."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql") or shutil.which("pg_dump") is None:
        yield None
        return
    found = PostgresSchemas(base)
    yield found
    found.close()


@pytest.fixture
def database_url(tmp_path, migrated_template, postgres_schemas):
    """Give each test an empty, migrated database (a clean schema on PostgreSQL)."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgresql"):
        if postgres_schemas is not None:
            schema, url = postgres_schemas.take()
            try:
                yield url
            finally:
                postgres_schemas.give_back(schema, url)
            return
        schema, url = _postgres_schema(base)
        try:
            migrate.upgrade(url)
            yield url
        finally:
            _drop_postgres_schema(base, schema, url)
        return
    path = tmp_path / "annotator.db"
    shutil.copy(migrated_template, path)
    yield f"sqlite:///{path}"


DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str | None:
    """Return the PostgreSQL server the suite may use, or None when it cannot be reached.

    TEST_DATABASE_URL wins; otherwise the local CI server. On CI a missing server is an error,
    elsewhere the tests that need both databases skip their PostgreSQL half.
    """
    base = os.environ.get("TEST_DATABASE_URL", "")
    base = base if base.startswith("postgresql") else DEFAULT_PG_URL
    try:
        with _admin(base) as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        if os.environ.get("CI"):
            raise
        return None
    return base


@pytest.fixture
def fresh_database(tmp_path):
    """Return a function that makes an empty database of a kind ("sqlite" or "postgresql").

    It is migrated to `revision` unless that is None. Schemas are dropped at teardown.
    """
    made: list[tuple[str, str, str]] = []

    def make(kind: str, revision: str | None = "head") -> str:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'db{len(made)}.db'}"
            made.append(("", "", url))
        else:
            base = postgres_base_url()
            if base is None:
                pytest.skip("no PostgreSQL server at 127.0.0.1:5432")
            schema, url = _postgres_schema(base)
            made.append((base, schema, url))
        if revision is not None:
            migrate.upgrade(url, revision)
        return url

    yield make
    for base, schema, url in made:
        if schema:
            _drop_postgres_schema(base, schema, url)
        else:
            get_engine(url).dispose()


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    """Build an app on the test database, with CSRF off for the unit tests."""
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    app = create_app({
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        # Tests reach no outside site: source archiving (issue 22) is on only in its tests.
        "SNAPSHOTS": False,
    })
    yield app
    engine = get_engine(database_url)
    left = engine.pool.checkedout()
    engine.dispose()
    # A session never closed keeps its connection until the garbage collector finds it, maybe
    # in a later test, after teardown ended that connection on the server: its failed reset
    # then logs a traceback from inside whatever that test was doing (CI saw it break
    # werkzeug's route compiler on Python 3.11). Close every session the test opens.
    assert not left, f"the test left {left} database connection(s) checked out"


@pytest.fixture
def engine(app):
    return get_engine(app.config["DATABASE_URL"])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def people(engine) -> dict:
    """Create one user per role, plus a second editor and a second reviewer."""
    made = {}
    with session_scope(engine) as session:
        for name, role in [*((r, r) for r in ROLES), ("editor2", "editor"),
                           ("reviewer2", "reviewer")]:
            user = user_service.create_user(session, name, role, PASSWORD, name.title())
            made[name] = user.id
    return made


def login(client, username: str) -> None:
    """Sign a test client in."""
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


@pytest.fixture
def as_user(app, people):
    """Return a function that gives a test client signed in as the named user."""
    def make(username: str):
        c = app.test_client()
        login(c, username)
        return c
    return make

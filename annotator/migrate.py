"""Run Alembic migrations programmatically for the CLI, the app and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from annotator.engine import get_engine

# Full-text search objects made by raw SQL in migrations (FTS5 virtual tables and their shadow
# tables, expression GIN indexes): the models do not declare them, so autogenerate must not
# compare them. Add a prefix here for each such object.
UNDECLARED_PREFIXES = ("matchcandidate_fts", "claim_fts", "claim_search")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Tell Alembic's autogenerate whether to compare an object (not the full-text ones)."""
    return not (reflected and compare_to is None and name
                and name.startswith(UNDECLARED_PREFIXES))


def alembic_config(url: str) -> Config:
    """Build an Alembic config pointing at the packaged migrations and this database."""
    cfg = Config()
    cfg.set_main_option("script_location", "annotator:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at url up to revision."""
    command.upgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """Return the database's current revision, or None for an empty database."""
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head(url: str) -> str | None:
    """Return the newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()

"""`annotator db ...`: the database schema."""

from __future__ import annotations

import click

from annotator.cli._common import database_url


@click.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the newest revision."""
    from annotator import migrate

    migrate.upgrade(database_url())
    click.echo(f"Database at revision {migrate.current(database_url())}.")


@db.command("current")
def db_current() -> None:
    """Print the database's current revision and the newest one."""
    from annotator import migrate

    click.echo(f"current: {migrate.current(database_url())}\nhead: {migrate.head(database_url())}")


COMMANDS = [db]

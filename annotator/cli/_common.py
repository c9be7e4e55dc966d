"""Helpers every command module shares: the database URL, an up-to-date engine, failing."""

from __future__ import annotations

import sys

import click

from annotator import config as settings
from annotator.sanitize import MAX_INT

# A row id as every database in use stores it: a 20-digit number is a usage error (exit 2).
ID = click.IntRange(1, MAX_INT)


def database_url() -> str:
    """Return the configured database URL."""
    return settings.default_database_url()


def migrated_engine():
    """Bring the schema up to date and return an engine on it."""
    from annotator import migrate
    from annotator.db import get_engine

    url = database_url()
    migrate.upgrade(url)
    return get_engine(url)


def fail(message: str) -> None:
    """Print the message on stderr and exit with status 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)

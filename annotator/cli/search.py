"""`annotator search ...`: the full-text index and the dashboard tallies."""

from __future__ import annotations

import click

from annotator.cli._common import migrated_engine


@click.group()
def search() -> None:
    """The search index and the dashboard's counts."""


@search.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index, the tallies and the @mentions from the tables."""
    from annotator.engine import session_scope
    from annotator.services import search as search_service

    engine = migrated_engine()
    with session_scope(engine) as session:
        done = search_service.reindex(session)
    click.echo(f"Reindexed {done['claims']} claim(s); {done['mentions']} mention(s).")


COMMANDS = [search]

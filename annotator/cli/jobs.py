"""`annotator jobs ...`: background exports and imports."""

from __future__ import annotations

import click

from annotator.cli._common import migrated_engine


@click.group()
def jobs() -> None:
    """Background exports and imports."""


@jobs.command("prune")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=0),
              help="Keep finished jobs younger than this.")
def jobs_prune(days: int) -> None:
    """Delete finished jobs and their files older than --days."""
    from datetime import timedelta

    from annotator.db import session_scope
    from annotator.services import jobs as job_service

    engine = migrated_engine()
    with session_scope(engine) as session:
        removed = job_service.prune(session, timedelta(days=days))
    click.echo(f"Removed {removed} finished job(s) older than {days} day(s).")


COMMANDS = [jobs]

"""Other outlets' fact-checks and the matcher: import-factchecks, matches, matching reindex."""

from __future__ import annotations

import json
from pathlib import Path

import click

from annotator.cli._common import fail, migrated_engine


@click.command("import-factchecks")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_factchecks(file: Path) -> None:
    """Load other outlets' fact-checks from a ClaimReview JSON-LD file (again: no duplicates)."""
    from annotator.services import factchecks
    from annotator.services.errors import ServiceError

    engine = migrated_engine()
    try:
        report = factchecks.load(engine, file.read_bytes())
    except ServiceError as exc:
        fail(exc.message)
    click.echo(f"Fact-checks: {report.summary()}")


@click.command("matches")
@click.argument("text")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50))
def matches(text: str, limit: int) -> None:
    """Print the earlier fact-checks that look like TEXT, best first, as JSON lines."""
    from annotator.db import new_session
    from annotator.services import matching

    session = new_session(migrated_engine())
    try:
        for match in matching.matches_for_text(session, text, limit=limit):
            click.echo(json.dumps(match.as_dict(), ensure_ascii=False))
    finally:
        session.close()


@click.group("matching")
def matching_group() -> None:
    """The "checked before?" matcher's candidate index."""


@matching_group.command("reindex")
def reindex() -> None:
    """Rebuild the matcher's candidates from approved claims and loaded fact-checks."""
    from annotator.db import session_scope
    from annotator.services import matching

    with session_scope(migrated_engine()) as session:
        count = matching.reindex(session)
    click.echo(f"Indexed {count} candidates.")


COMMANDS = (import_factchecks, matches, matching_group)

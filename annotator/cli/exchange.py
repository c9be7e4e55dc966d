"""Exports and the native JSON import: export, import-json."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from annotator import config as settings
from annotator.cli._common import ID, fail, migrated_engine
from annotator.exports.formats import FORMATS


@click.command()
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)),
              default="json", show_default=True)
@click.option("--article", "article_ids", type=ID, multiple=True, help="Only this article.")
@click.option("--state", "states", multiple=True)
@click.option("--verdict", "verdicts", multiple=True)
@click.option("--since", default=None, help="Claims changed on or after: YYYY-MM-DD or ISO time.")
@click.option("--until", default=None, help="Claims changed up to (a date: that day included).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def export(fmt: str, article_ids, states, verdicts, since, until, output: Path | None) -> None:
    """Export claims in any format; streams to stdout or to a file."""
    from annotator.db import new_session
    from annotator.exports import ExportFilter, parse_day, run_export

    try:
        filters = ExportFilter(article_ids=list(article_ids), states=list(states),
                               verdicts=list(verdicts), since=parse_day(since),
                               until=parse_day(until, end=True))
    except ValueError as exc:
        fail(str(exc))
    engine = migrated_engine()
    config = settings.load()
    session = new_session(engine)
    try:
        chunks = run_export(session, fmt, filters, base_url=config["PUBLIC_BASE_URL"],
                            desk_name=config["DESK_NAME"])
        if output is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
        else:
            tmp = output.with_name(output.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            tmp.replace(output)  # a reader never sees half a file
    finally:
        session.close()


@click.command("import-json")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_user", default=None, help="Username recorded as the importer.")
def import_json_cmd(file: Path, as_user) -> None:
    """Load a native JSON export (people, verdicts, articles, claims, history) in one go."""
    from annotator.db import session_scope
    from annotator.services import users as user_service
    from annotator.services.errors import ServiceError
    from annotator.services.json_import import import_json

    engine = migrated_engine()
    try:
        with file.open("rb") as fh, session_scope(engine) as session:
            actor = user_service.user_by_name(session, as_user) if as_user else None
            if as_user and actor is None:
                raise ServiceError(f"No user {as_user!r}.")
            report = import_json(session, fh, actor=actor)
    except ServiceError as exc:
        fail(exc.message)
    click.echo(report.summary())


COMMANDS = [export, import_json_cmd]

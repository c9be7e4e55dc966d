"""`annotator sources check [--all | ID...]`: archive and check sources' links now (issue 22)."""

from __future__ import annotations

import click

from annotator.cli._common import ID, fail, migrated_engine


@click.group()
def sources() -> None:
    """Source snapshots and link health."""


@sources.command("check")
@click.argument("source_ids", nargs=-1, type=ID)
@click.option("--all", "every", is_flag=True, help="Check every source.")
def sources_check(source_ids: tuple[int, ...], every: bool) -> None:
    """Check these sources' links now (a source never archived is archived).

    Prints one line per source: `<id> <health or snapshot status>`, then a count of each.
    Requests to one host are spaced LINK_CHECK_HOST_SECONDS apart.
    """
    from collections import Counter

    from sqlmodel import select

    from annotator import config
    from annotator.db import session_scope
    from annotator.models import Source
    from annotator.services import link_health, snapshots

    if every == bool(source_ids):
        fail("Give source ids, or --all (not both).")
    engine = migrated_engine()
    with session_scope(engine, write=False) as session:
        query = select(Source.id).order_by(Source.id)
        if not every:
            query = query.where(Source.id.in_(source_ids))
        found = list(session.exec(query).all())
    missing = sorted(set(source_ids) - set(found))
    if missing:
        fail(f"No source {', '.join(map(str, missing[:10]))}.")
    settings = snapshots.ArchiveSettings.from_config({**config.load(), "SNAPSHOTS": True})
    results = {}
    for start in range(0, len(found), 500):
        results.update(link_health.run_checks(engine, settings, found[start:start + 500]))
    for source_id in found:
        click.echo(f"{source_id} {results.get(source_id, 'unchecked')}")
    counts = Counter(results.values())
    click.echo(" ".join(f"{name}={counts[name]}" for name in
                        ("unchanged", "changed", "moved", "gone", "unchecked", "stored",
                         "failed") if counts[name]) or "nothing to check")


COMMANDS = [sources]

"""Running the desk: serve, backup."""

from __future__ import annotations

from pathlib import Path

import click

from annotator.cli._common import database_url, fail, migrated_engine


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Copy the live SQLite database to FILE (safe while the app serves); PostgreSQL: pg_dump."""
    from annotator.backup import BackupError, backup_sqlite, pg_dump_recipe, sqlite_path

    url = database_url()
    try:
        source = sqlite_path(url)
        if source is None:
            click.echo(pg_dump_recipe(url, str(file)), err=True)
            fail("annotator backup copies SQLite databases only; use pg_dump as shown above.")
        target = backup_sqlite(source, file)
    except BackupError as exc:
        fail(str(exc))
    click.echo(f"Backed up {source} to {target}.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Upgrade the database and serve the app with Flask's server (for one desk or trying it)."""
    from annotator import create_app

    migrated_engine()
    create_app().run(host=host, port=port, threaded=True)


COMMANDS = [backup, serve]

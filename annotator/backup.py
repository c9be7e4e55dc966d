"""Back up a live SQLite database with its online backup API; say how for PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup could not be made; the message says why."""


def sqlite_path(url: str) -> Path | None:
    """Return the file of a SQLite URL, or None for another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("An in-memory database cannot be backed up.")
    return Path(parsed.database)


def backup_sqlite(source: Path, target: Path) -> Path:
    """Copy a SQLite database, live, into target: a consistent snapshot, written atomically.

    One backup step copies every page inside a single read transaction, so the copy is the
    database as of the moment the step began. In WAL mode that read does not block the
    app's writers. The copy goes to a temporary file beside target, is checked, made a
    self-contained file (no -wal beside it), flushed to disk, and only then renamed over
    target, so target is never half written.
    """
    if not source.is_file():
        raise BackupError(f"There is no database at {source}.")
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)  # pages=-1: the whole database in one step, one snapshot
                dst.execute("PRAGMA journal_mode=DELETE")
                result = dst.execute("PRAGMA integrity_check").fetchone()[0]
                if result != "ok":
                    raise BackupError(f"The copy failed its integrity check: {result}")
            finally:
                dst.close()
        finally:
            src.close()
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        tmp.replace(target)
        _fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _fsync_dir(folder: Path) -> None:
    # The rename itself must reach the disk, or a power cut can undo it.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pg_dump_recipe(url: str, target: str) -> str:
    """Return the pg_dump and pg_restore commands for a PostgreSQL URL."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)
    return (
        "PostgreSQL is backed up with its own tools, which take a consistent snapshot while\n"
        "the app keeps serving:\n\n"
        f"  pg_dump --format=custom --file={target} '{libpq}'\n\n"
        "Restore into an empty database with:\n\n"
        f"  pg_restore --no-owner --dbname='{libpq}' {target}\n\n"
        "(Give the password through ~/.pgpass or PGPASSWORD, not on the command line.)"
    )

"""`annotator backup` copies a live SQLite database under write load, losing nothing committed."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time

from click.testing import CliRunner
from sqlmodel import select

from annotator.cli import main
from annotator.db import get_engine, session_scope
from annotator.models import Article, Claim, Note
from annotator.services import claims as claim_service
from annotator.services import users as user_service

BACKUPS = 5
BETWEEN = 8  # notes the writer commits between two backups


def _seed(engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        reviewer = user_service.create_user(session, "rita", "reviewer", "long-enough-pw")
        article = Article(title="A", body="Some body text here.", raw="x", content_hash="h" * 64)
        session.add(article)
        session.flush()
        claim = Claim(article_id=article.id, start=0, end=9, quote="Some body",
                      statement="Some body")
        session.add(claim)
        session.flush()
        return reviewer.id, claim.id


def _writer(engine, reviewer_id, claim_id, stop, committed, errors) -> None:
    """Add notes one transaction at a time; record each id once its commit has returned."""
    n = 0
    try:
        while not stop.is_set():
            n += 1
            with session_scope(engine) as session:
                reviewer = user_service.get_user(session, reviewer_id)
                note = claim_service.add_note(session, reviewer, claim_id, f"note {n}")
                note_id = note.id
            committed.append((time.monotonic(), note_id, f"note {n}"))
    except Exception as exc:  # surfaced by the test's assertion below
        errors.append(exc)


def test_backups_under_write_load_hold_every_committed_row(fresh_database, tmp_path,
                                                           monkeypatch):
    url = fresh_database("sqlite")
    engine = get_engine(url)
    reviewer_id, claim_id = _seed(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    stop, committed, errors = threading.Event(), [], []
    writer = threading.Thread(target=_writer, daemon=True,
                              args=(engine, reviewer_id, claim_id, stop, committed, errors))
    writer.start()
    try:
        runs = []
        while len(committed) < 20 and writer.is_alive():
            time.sleep(0.01)
        for i in range(BACKUPS):
            target = tmp_path / "backups" / f"annotator-{i}.db"
            began = time.monotonic()
            result = CliRunner().invoke(main, ["backup", str(target)])
            assert result.exit_code == 0, result.output
            runs.append((began, target))
            # Let the writer commit several notes before the next backup: however slow the
            # machine, the backups fall among writes (a count, not a delay).
            written = len(committed)
            while len(committed) < written + BETWEEN and writer.is_alive():
                time.sleep(0.005)
    finally:
        stop.set()
        writer.join(10)
    assert not errors, errors
    assert len(committed) > 50, "the writer should have been busy during the backups"

    for began, target in runs:
        before = {note_id: body for at, note_id, body in committed if at < began}
        # Restore: the backup is a plain, self-contained database file.
        restored = tmp_path / "restored.db"
        shutil.copy(target, restored)
        assert not target.with_name(target.name + "-wal").exists()
        conn = sqlite3.connect(restored)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            rows = dict(conn.execute("SELECT id, body FROM note").fetchall())
            events = {row[0] for row in conn.execute(
                "SELECT json_extract(new, '$.id') FROM event WHERE action = 'note'")}
        finally:
            conn.close()
        assert before, "some notes were committed before each backup"
        missing = set(before) - set(rows)
        assert not missing, f"backup lost committed notes {sorted(missing)[:10]}"
        assert all(rows[i] == body for i, body in before.items())
        assert set(before) <= events
        restored.unlink()

    # The live database carries on and holds every note.
    with session_scope(engine, write=False) as session:
        ids = set(session.exec(select(Note.id)).all())
    assert {note_id for _, note_id, _ in committed} <= ids
    assert not list((tmp_path / "backups").glob("*.part"))


def test_backup_refuses_postgresql_and_prints_the_pg_dump_recipe(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://desk:secret@db.internal:5432/desk")
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "desk.dump")])
    assert result.exit_code != 0
    assert "pg_dump --format=custom" in result.output
    assert "pg_restore" in result.output
    assert "secret" not in result.output
    assert not (tmp_path / "desk.dump").exists()


def test_backup_of_a_missing_database_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'nothing.db'}")
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "copy.db")])
    assert result.exit_code == 1
    assert "There is no database" in result.output
    assert not (tmp_path / "copy.db").exists()

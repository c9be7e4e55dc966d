"""The command line: users, import, extract, sentences, score, export, db."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator import migrate
from annotator.cli import main


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    runner = CliRunner()

    def run(*args, input=None):
        result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
        return result

    return run


def test_db_upgrade_and_current_report_the_head(cli, database_url):
    assert cli("db", "upgrade").exit_code == 0
    out = cli("db", "current").output
    assert f"current: {migrate.head(database_url)}" in out


def test_users_create_prints_a_token_on_the_last_line(cli):
    result = cli("users", "create", "ana", "--role", "reviewer", "--password", "long-enough-1",
                 "--token")
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("ann_") and len(token) > 30


def test_users_create_prompts_for_the_password_and_refuses_bad_input(cli):
    prompted = cli("users", "create", "bo", "--role", "viewer",
                   input="long-enough-2\nlong-enough-2\n")
    assert prompted.exit_code == 0
    again = cli("users", "create", "bo", "--role", "viewer", "--password", "long-enough-2")
    assert again.exit_code == 1 and "taken" in again.output
    short = cli("users", "create", "cy", "--role", "viewer", "--password", "short")
    assert short.exit_code == 1 and "at least 10" in short.output


def test_import_prints_the_new_article_id_and_export_writes_it(cli, shared, tmp_path):
    cli("users", "create", "ed", "--role", "editor", "--password", "long-enough-3")
    result = cli("import", str(shared / "articles" / "kazakh-conscriptions.txt"),
                 "--title", "Kazakh conscriptions", "--published", "2019-06-07")
    assert result.exit_code == 0
    article_id = int(result.output.strip())
    out = tmp_path / "export.json"
    assert cli("export", "--format", "json", "--article", str(article_id), "-o",
               str(out)).exit_code == 0
    doc = json.loads(out.read_text())
    assert doc["articles"][0]["title"] == "Kazakh conscriptions"
    duplicate = cli("import", str(shared / "articles" / "kazakh-conscriptions.txt"))
    assert duplicate.exit_code == 1 and "imported already" in duplicate.output


def test_extract_meets_the_workbench_bar_on_the_shared_article(cli, shared):
    result = cli("extract", str(shared / "articles" / "kazakh-conscriptions.txt"), "--jsonl")
    rows = [json.loads(line) for line in result.output.splitlines()]
    # The proposal budget: about a third of the article's sentences, the best first.
    assert 15 <= len(rows) <= 20
    quotes = " | ".join(r["quote"] for r in rows)
    assert "at least six male activists" in quotes
    assert "International Women of Courage Award" in quotes
    for junk in ("To find out more, click here.", "undesirable organization", "Russian passport"):
        assert junk not in quotes
    for row in rows:
        assert set(row) == {"start", "end", "quote", "statement", "score", "reasons",
                            "claimant", "rewrite", "needs_context"}
        assert 0 <= row["score"] <= 1 and row["reasons"]


def test_sentences_prints_offsets_into_the_text_as_given(cli, tmp_path):
    text = "Mr. Smith paid $3.50 in St. Louis. He left at 5 p.m. on Friday!  Why?"
    path = tmp_path / "t.txt"
    path.write_text(text)
    rows = [json.loads(line) for line in cli("sentences", str(path), "--jsonl").output
            .splitlines()]
    assert [r["text"] for r in rows] == ["Mr. Smith paid $3.50 in St. Louis.",
                                         "He left at 5 p.m. on Friday!", "Why?"]
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)


def test_score_prints_one_score_per_input_line(cli):
    lines = ["Unemployment fell to 4.1 percent in 2016.", "Thank you very much.", ""]
    out = cli("score", input="\n".join(lines) + "\n").output.splitlines()
    assert len(out) == 3
    scores = [float(x) for x in out]
    assert all(0 <= s <= 1 for s in scores)
    assert scores[0] > scores[1]


def test_demo_creates_the_account_and_article_once(cli):
    first = cli("demo")
    assert "password" in first.output and "Demo article" in first.output
    assert "no demo data" in cli("demo").output


def _api_status(database_url, secret: str) -> int:
    from annotator import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "t", "TESTING": True})
    return app.test_client().get("/api/v1/articles",
                                 headers={"Authorization": f"Bearer {secret}"}).status_code


def test_users_list_set_role_deactivate_and_reactivate(cli):
    cli("users", "create", "ana", "--role", "admin", "--password", "long-enough-1")
    cli("users", "create", "bo", "--role", "viewer", "--password", "long-enough-2")
    assert cli("users", "set-role", "bo", "editor").exit_code == 0
    assert cli("users", "deactivate", "bo").exit_code == 0
    rows = [line.split("\t") for line in cli("users", "list").output.splitlines()]
    assert rows == [["ana", "admin", "active", "ana"], ["bo", "editor", "deactivated", "bo"]]
    assert cli("users", "reactivate", "bo").exit_code == 0
    assert "bo\teditor\tactive" in cli("users", "list").output
    last = cli("users", "deactivate", "ana")
    assert last.exit_code == 1 and "last active admin" in last.output
    missing = cli("users", "set-role", "nobody", "viewer")
    assert missing.exit_code == 1 and "No user called 'nobody'" in missing.output


def test_users_reset_password_takes_or_prompts_for_it(cli, database_url):
    from annotator.db import get_engine, session_scope
    from annotator.services import users as user_service

    cli("users", "create", "ana", "--role", "viewer", "--password", "long-enough-1")
    assert cli("users", "reset-password", "ana", "--password", "another-one-2").exit_code == 0
    assert cli("users", "reset-password", "ana",
               input="third-pass-3\nthird-pass-3\n").exit_code == 0
    short = cli("users", "reset-password", "ana", "--password", "short")
    assert short.exit_code == 1 and "at least 10" in short.output
    with session_scope(get_engine(database_url)) as session:
        assert user_service.authenticate(session, "ana", "third-pass-3") is not None


def test_users_token_prints_it_last_and_revoke_token_stops_it(cli, database_url):
    cli("users", "create", "ana", "--role", "editor", "--password", "long-enough-1")
    result = cli("users", "token", "ana", "--expires-days", "30")
    assert result.exit_code == 0
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("ann_")
    assert _api_status(database_url, secret) == 200
    listing = cli("users", "tokens", "ana").output.splitlines()
    token_id = listing[0].split("\t")[0]
    assert listing[0].endswith("\tactive")
    assert cli("users", "revoke-token", token_id).exit_code == 0
    assert cli("users", "tokens").output.splitlines()[0].endswith("\trevoked")
    assert _api_status(database_url, secret) == 401
    assert cli("users", "revoke-token", "999").exit_code == 1
    bad = cli("users", "token", "ana", "--expires-days", "0")
    assert bad.exit_code == 2 and "1<=x<=3650" in bad.output  # a usage error, as click says


def test_jobs_prune_removes_old_finished_jobs_only(cli, database_url):
    from datetime import timedelta

    from sqlmodel import select

    from annotator.db import get_engine, session_scope
    from annotator.models import Job, JobChunk, utcnow

    old = utcnow() - timedelta(days=40)
    with session_scope(get_engine(database_url)) as s:
        for status, when in (("done", old), ("failed", old), ("running", old),
                             ("done", utcnow())):
            job = Job(kind="export", format="json", status=status, updated_at=when)
            s.add(job)
            s.flush()
            s.add(JobChunk(job_id=job.id, seq=0, data=b"{}"))
    result = cli("jobs", "prune", "--days", "30")
    assert result.exit_code == 0 and "Removed 2" in result.output
    with session_scope(get_engine(database_url)) as s:
        assert sorted(j.status for j in s.exec(select(Job))) == ["done", "running"]
        assert len(s.exec(select(JobChunk)).all()) == 2

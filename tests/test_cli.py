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
    assert short.exit_code == 1 and "at least 8" in short.output


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
    assert len(rows) >= 25
    quotes = " | ".join(r["quote"] for r in rows)
    assert "at least six male activists" in quotes
    assert "International Women of Courage Award" in quotes
    for junk in ("To find out more, click here.", "undesirable organization", "Russian passport"):
        assert junk not in quotes
    for row in rows:
        assert set(row) == {"start", "end", "quote", "statement", "score", "reasons"}
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

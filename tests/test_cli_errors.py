"""The command line fails in a sentence: `Error: ...`, exit 1 (2 for usage), never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from annotator.cli import main


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    runner = CliRunner()

    def run(*args):
        # catch_exceptions=False: an exception escaping the command fails the test itself.
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.mark.parametrize("args", [
    ("export", "--article", "99999999999999999999"),
    ("users", "revoke-token", "99999999999999999999"),
    ("users", "revoke-token", "123456789012345678901234567890"),
    ("users", "token", "nobody", "--expires-days", "99999999999999999999"),
])
def test_it_refuses_an_integer_beyond_the_database_as_a_usage_error(cli, args):
    result = cli(*args)
    assert result.exit_code == 2
    assert "Error: Invalid value" in result.output
    assert "Traceback" not in result.output


def test_it_refuses_deeply_nested_factchecks_with_a_sentence(cli, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = cli("import-factchecks", str(deep))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output


def test_it_refuses_deeply_nested_native_json_with_a_sentence(cli, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"articles": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = cli("import-json", str(deep))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output


def test_a_missing_file_is_a_sentence_not_a_traceback(cli, tmp_path):
    result = cli("import", str(tmp_path / "nowhere.txt"))
    assert result.exit_code in (1, 2)
    assert "Error" in result.output and "Traceback" not in result.output


def test_an_unexpected_failure_is_a_sentence(cli, monkeypatch):
    from annotator.cli import database

    def boom(*args, **kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(database, "migrated_engine", boom, raising=False)
    monkeypatch.setattr("annotator.migrate.upgrade", boom)
    result = cli("db", "upgrade")
    assert result.exit_code == 1
    assert result.output.strip().endswith("Error: the disk went away")

"""One command for every format, with filters, and import-json, on the command line."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.db import get_engine


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example.org")
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.mark.parametrize("fmt, check", [
    ("json", lambda text: json.loads(text)["schema_version"] == "1"),
    ("claimreview", lambda text: len(json.loads(text)["@graph"]) == 2),
    ("wadm", lambda text: json.loads(text)["type"] == "AnnotationCollection"),
    ("csv", lambda text: text.startswith("\ufeffarticle_id,")),
])
def test_export_writes_every_format_to_a_file(cli, work, tmp_path, fmt, check):
    out = tmp_path / f"out.{fmt}"
    result = cli("export", "--format", fmt, "--article", work.article_id, "-o", out)
    assert result.exit_code == 0, result.output
    assert check(out.read_text(encoding="utf-8"))
    assert not out.with_name(out.name + ".part").exists()


def test_export_filters_by_state_verdict_and_dates(cli, work):
    def ids(*args):
        result = cli("export", "--format", "json", *args)
        assert result.exit_code == 0, result.output
        return [c["id"] for a in json.loads(result.output)["articles"] for c in a["claims"]]

    assert sorted(ids("--state", "approved")) == sorted([work.approved, work.corrected])
    assert ids("--verdict", "unproven") == [work.in_progress]
    assert len(ids("--since", "2000-01-01")) == work.claim_count
    assert ids("--until", "2000-01-01") == []
    assert ids("--since", "2999-01-01T00:00:00Z") == []
    bad = cli("export", "--since", "yesterday")
    assert bad.exit_code == 1 and "not a date" in bad.output


def test_import_json_loads_an_export_into_another_database(cli, work, tmp_path,
                                                          migrated_template, monkeypatch):
    dump = tmp_path / "dump.json"
    assert cli("export", "-o", dump).exit_code == 0
    other = tmp_path / "other.db"
    shutil.copy(migrated_template, other)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{other}")
    try:
        result = cli("import-json", dump)
        assert result.exit_code == 0, result.output
        assert f"Imported 1 articles, {work.claim_count} claims" in result.output
        assert "no usable password" in result.output
        again = cli("import-json", dump)
        assert again.exit_code == 1 and "nothing was imported" in again.output
    finally:
        get_engine(f"sqlite:///{other}").dispose()

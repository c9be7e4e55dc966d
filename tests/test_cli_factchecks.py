"""The command line for fact-checks and matching: import-factchecks, matches, matching reindex."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main

FEED = {"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": [
    {"@type": "ClaimReview", "identifier": "fc-1", "url": "https://checker.example/1",
     "claimReviewed": "Six activists were conscripted into the army in Kazakhstan.",
     "author": {"@type": "Organization", "name": "Checker"}},
    {"@type": "ClaimReview", "identifier": "fc-2",
     "claimReviewed": "The moon landing was staged in a film studio."},
]}


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_import_factchecks_loads_a_feed_and_a_second_run_adds_nothing(cli, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(FEED))
    first = cli("import-factchecks", str(path))
    assert first.exit_code == 0 and "2 added" in first.output
    second = cli("import-factchecks", str(path))
    assert second.exit_code == 0 and "0 added, 0 updated, 2 unchanged" in second.output


def test_import_factchecks_refuses_a_file_that_is_not_json(cli, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text("<html>")
    result = cli("import-factchecks", str(path))
    assert result.exit_code == 1 and "not JSON" in result.output


def test_matches_prints_the_matching_factcheck_and_reindex_rebuilds(cli, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(FEED))
    cli("import-factchecks", str(path))
    assert "Indexed 2 candidates." in cli("matching", "reindex").output
    out = cli("matches", "Kazakhstan conscripted six activists into the army").output
    first = json.loads(out.splitlines()[0])
    assert first["kind"] == "external" and first["identifier"] == "fc-1"
    assert first["url"] == "https://checker.example/1" and first["publisher"] == "Checker"

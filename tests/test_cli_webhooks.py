"""`annotator webhooks add|list` and `annotator worker --help` (cli/jobs.py)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from standardwebhooks.webhooks import Webhook

from annotator.cli import main


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_webhooks_add_prints_the_secret_alone_on_the_last_line_and_list_shows_it(
        cli, monkeypatch):
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "1")
    added = cli("webhooks", "add", "http://127.0.0.1:8765/hook",
                "--events", "claim.approved,job.finished")
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and " " not in secret
    Webhook(secret)  # a secret the library accepts
    listed = cli("webhooks", "list")
    assert listed.exit_code == 0
    assert "http://127.0.0.1:8765/hook" in listed.output
    assert "claim.approved,job.finished" in listed.output and secret not in listed.output


def test_webhooks_add_refuses_a_private_address_and_an_unknown_event(cli, monkeypatch):
    monkeypatch.delenv("ALLOW_PRIVATE_URLS", raising=False)
    refused = cli("webhooks", "add", "http://127.0.0.1:8765/hook", "--events", "job.finished")
    assert refused.exit_code == 1 and "non-public address" in refused.output
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "1")
    unknown = cli("webhooks", "add", "http://127.0.0.1/x", "--events", "claim.eaten")
    assert unknown.exit_code == 1 and "Unknown event" in unknown.output


def test_worker_takes_no_periodic_and_threads_options():
    shown = CliRunner().invoke(main, ["worker", "--help"])
    assert shown.exit_code == 0
    assert "--no-periodic" in shown.output and "--threads" in shown.output

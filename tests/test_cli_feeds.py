"""The command line for feeds: add prints the id, list shows them, poll prints one line each."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from annotator.cli import main
from tests.services.test_feeds import atom, feed_site, rss, story  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("feed_site")


@pytest.fixture
def cli(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("ALLOW_PRIVATE_URLS", "1")  # the feed site is on 127.0.0.1
    monkeypatch.setenv("FEED_HOST_INTERVAL", "0")
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_feeds_add_list_and_poll_from_the_command_line(cli, feed_site):  # noqa: F811
    assert cli("users", "create", "ed", "--role", "editor", "--password",
               "correct-horse-battery").exit_code == 0
    feed_site.page("/a/story-1", story(1))
    feed_site.page("/b/story-2", story(2))
    a_url = feed_site.feed("/a.xml", rss(feed_site.base, [("/a/story-1", "One")]))
    b_url = feed_site.feed("/b.atom", atom(feed_site.base, [("/b/story-2", "Two")]),
                           "application/atom+xml")
    first = cli("feeds", "add", a_url, "--outlet", "Gazette", "--language", "en")
    second = cli("feeds", "add", b_url, "--outlet", "Courier")
    assert first.exit_code == 0 and second.exit_code == 0
    a, b = int(first.output.strip()), int(second.output.strip())
    assert feed_site.requests == []  # adding never polls
    listed = cli("feeds", "list").output.splitlines()
    assert [line.split("\t")[:5] for line in listed] == [
        [str(b), "on", "new", "never", "new=0"], [str(a), "on", "new", "never", "new=0"]]
    polled = cli("feeds", "poll")
    assert polled.exit_code == 0
    assert polled.output.splitlines() == [f"{a} new=1 unchanged=0 errors=0",
                                          f"{b} new=1 unchanged=0 errors=0"]
    again = cli("feeds", "poll", str(b))
    assert again.output.splitlines() == [f"{b} new=0 unchanged=1 errors=0"]
    assert "\tok\t" in cli("feeds", "list").output


def test_feeds_poll_refuses_an_unknown_feed_and_add_a_bad_address(cli):
    assert cli("users", "create", "ed", "--role", "editor", "--password",
               "correct-horse-battery").exit_code == 0
    unknown = cli("feeds", "poll", "99")
    assert unknown.exit_code == 1 and "No such feed: 99" in unknown.output
    bad = cli("feeds", "add", "ftp://x.example/feed", "--outlet", "X")
    assert bad.exit_code == 1 and "http://" in bad.output

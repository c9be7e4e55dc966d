"""A source's reader view, in Chromium: a page full of scripts and XSS payloads runs nothing."""

from __future__ import annotations

import pytest

from annotator.db import get_engine, session_scope
from annotator.services import articles, claims, snapshots
from annotator.services.users import user_by_name
from tests.browser.test_xss_corpus import INJECTION_PROBE
from tests.services.test_snapshots import OPEN, serving

HOSTILE = """<!doctype html><html><head><title>Budget</title>
<script>window.__pwned = 'head script'; alert('head')</script>
<meta http-equiv="refresh" content="0;url=javascript:alert('refresh')">
<base href="javascript:alert('base')//">
</head><body onload="window.__pwned = 'onload'; alert('onload')">
<article><h1>Budget statement</h1>
<p>The minister said the budget grows by 4 percent next year, the statement says.</p>
<p>&lt;script&gt;alert('quoted')&lt;/script&gt; and &lt;img src=x onerror=alert(1)&gt; are
quoted here as the words of the attack on the ministry's site.</p>
<img src="x" onerror="window.__pwned = 'img'; alert('img')">
<svg onload="window.__pwned = 'svg'"><script>window.__pwned = 'svg script'</script></svg>
<iframe srcdoc="<script>parent.__pwned = 'iframe'</script>"></iframe>
<a href="javascript:alert('link')">A link to read more about the budget figures</a>
<form action="javascript:alert('form')"><button formaction="javascript:alert(2)">Go</button></form>
<object data="javascript:alert('object')"></object>
<p style="background:url(javascript:alert('css'))">The deficit falls to 2.1 percent of output,
the finance ministry's forecast says.</p>
</article>
<script>document.write('<p>written by script</p>'); window.__pwned = 'tail'</script>
</body></html>"""


@pytest.fixture
def site():
    with serving() as made:
        yield made


def test_the_reader_view_of_a_hostile_page_runs_nothing(team, open_page, site):
    engine = get_engine(team.config["DATABASE_URL"])
    with session_scope(engine) as s:
        editor = user_by_name(s, "editor")
        text = "The minister said the budget grows by 4 percent next year, officials said."
        article = articles.import_article(s, editor, articles.ImportRequest(text=text))
        claim = claims.create_claim(s, editor, article.id, 0, len(text))
        claims.transition(s, editor, claim.id, "start")
        source_id = claims.add_source(s, editor, claim.id, {
            "url": site.page("/budget", HOSTILE), "title": "Budget statement",
            "stance": "supports", "excerpt": "the budget grows by 4 percent next year"}).id
    assert snapshots.run_snapshot(engine, OPEN, source_id) == "stored"
    page = open_page("reviewer")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{team.config['BASE']}/sources/{source_id}/snapshot")
    page.wait_for_load_state("load")
    reader = page.locator(".reader-text")
    assert "the budget grows by 4 percent next year" in reader.inner_text()
    assert "<script>alert('quoted')</script>" in reader.inner_text()  # words, as text
    assert page.locator("mark#quote").inner_text() == "the budget grows by 4 percent next year"
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.evaluate(INJECTION_PROBE) == []
    assert page.evaluate("() => document.querySelectorAll("
                         "'.reader-text *:not(p):not(mark)').length") == 0
    assert page.dialogs == [] and errors == []
    assert page.url.endswith(f"/sources/{source_id}/snapshot")  # no refresh, no redirect
    # The panel links to the reader view and the WARC file.
    page.goto(f"{team.config['BASE']}/claims/{claim.id}")
    panel = page.locator(f"#snapshot-{source_id}")
    assert "quote found" in panel.inner_text()
    assert panel.locator("a", has_text="Reader view").get_attribute("href") == (
        f"/sources/{source_id}/snapshot")
    assert page.dialogs == [] and page.evaluate("() => window.__pwned === undefined")

"""Hostile input: public XSS payloads in every free-text field, every page opened in Chromium.

A deterministic sample of ../shared/data/xss/xss-payload-list.txt, covering each class of
payload, goes into article titles and bodies, claim statements and conclusions, source
fields, notes and user display names. Each page where those show is then opened, and no
dialog may open and no injected element, handler or javascript: link may exist.
"""

from __future__ import annotations

import hashlib
import re

from annotator.db import get_engine, session_scope
from annotator.models import Claim
from annotator.services import articles, claims
from annotator.services import users as user_service
from annotator.services.errors import Invalid

PER_CLASS = 40
BATCH = 20
CLASSES = {
    "tags": re.compile(r"<(script|iframe|object|embed|img|body|input|video|audio|math|a)\b", re.I),
    "handlers": re.compile(r"\bon[a-z]+\s*=", re.I),
    "javascript urls": re.compile(r"javascript:", re.I),
    "encodings": re.compile(r"&#|%3c|\\u00|\\x3c|base64|&lt;", re.I),
    "svg": re.compile(r"<svg", re.I),
    "broken markup": re.compile(r"^[^<]*>|<[^>]*$|<<|\"\s*>", re.I),
}

# Everything a page may legitimately contain; anything else is an injection.
INJECTION_PROBE = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      if (/^on/i.test(attr)) bad.push(el.tagName + ' ' + attr);
      if (/^(href|src|action|formaction|xlink:href|data)$/i.test(attr)
          && /^\\s*(javascript|vbscript|data:text\\/html)/i.test(el.getAttribute(attr))) {
        bad.push(el.tagName + ' ' + attr + '=' + el.getAttribute(attr));
      }
    }
    const tag = el.tagName;
    if (/^(IFRAME|OBJECT|EMBED|BASE|FRAME|FRAMESET|APPLET|VIDEO|AUDIO|MATH|IMG)$/.test(tag)) {
      bad.push(tag);
    }
  }
  const scripts = Array.from(document.scripts).map(s => s.getAttribute('src'));
  for (const src of scripts) {
    const ours = /^\\/static\\/(vendor\\/htmx\\.min|app)\\.js$/;
    if (!src || !ours.test(src)) bad.push('script ' + src);
  }
  if (document.querySelectorAll('svg').length !== document.querySelectorAll('svg.chart').length) {
    bad.push('svg');
  }
  return bad;
}"""


def sample(shared) -> list[str]:
    """Pick PER_CLASS payloads per class, deterministically (ordered by their SHA-256)."""
    lines = [x for x in (shared / "data" / "xss" / "xss-payload-list.txt").read_text(
        encoding="utf-8", errors="replace").splitlines() if x.strip()]
    ordered = sorted(set(lines), key=lambda x: hashlib.sha256(x.encode()).hexdigest())
    picked: list[str] = []
    for pattern in CLASSES.values():
        picked += [p for p in ordered if pattern.search(p) and p not in picked][:PER_CLASS]
    return picked


def _seed(app, payloads: list[str]) -> list[tuple[int, int]]:
    """Put the payloads into every free-text field; return (article id, claim id) pairs."""
    engine = get_engine(app.config["DATABASE_URL"])
    made = []
    with session_scope(engine) as s:
        admin = user_service.user_by_name(s, "admin")
        for n in range(0, len(payloads), BATCH):
            batch = payloads[n:n + BATCH]
            joined = " ".join(batch)
            author = user_service.create_user(s, f"hostile{n}", "editor", "a-long-password",
                                              display_name=batch[0][:120])
            body = "\n\n".join(f"The port handled {i} million boxes. {p}"
                               for i, p in enumerate(batch))
            article = articles.import_article(s, admin, articles.ImportRequest(
                text=body, title=batch[1][:500], outlet=batch[2][:200],
                byline=batch[3][:500]))
            claim = claims.create_claim(s, author, article.id, 0, len(body) // 2,
                                        statement=joined[:2000])
            claims.update_claim(s, author, claim.id, s.get(Claim, claim.id).version,
                                {"conclusion": joined[:5000]})
            claims.add_source(s, author, claim.id, {
                "url": "https://example.org/source", "title": batch[4][:500],
                "publisher": batch[5][:200], "excerpt": joined[:10000], "stance": "refutes"})
            claims.add_note(s, author, claim.id, "\n\n".join(batch) + " @admin")
            claims.transition(s, author, claim.id, "start")
            made.append((article.id, claim.id))
    return made


def test_the_sample_covers_every_class(shared):
    payloads = sample(shared)
    assert len(payloads) >= 200
    for name, pattern in CLASSES.items():
        assert sum(1 for p in payloads if pattern.search(p)) >= 20, name


def test_javascript_urls_are_refused_as_source_addresses(team):
    engine = get_engine(team.config["DATABASE_URL"])
    with session_scope(engine) as s:
        admin = user_service.user_by_name(s, "admin")
        article = articles.import_article(s, admin, articles.ImportRequest(
            text="The port handled 3 million boxes in 2024."))
        claim = claims.create_claim(s, admin, article.id, 0, 20)
        for url in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
                    "vbscript:msgbox(1)"):
            try:
                claims.add_source(s, admin, claim.id, {"url": url, "stance": "context"})
            except Invalid:
                continue
            raise AssertionError(f"{url} was accepted")


def test_no_payload_runs_or_injects_anything_on_any_page(team, open_page, shared):
    payloads = sample(shared)
    made = _seed(team, payloads)
    page = open_page("admin")
    base = team.config["BASE"]
    urls = ["/", "/claims", "/queue", "/dashboard", "/admin/users", "/admin/tokens",
            "/account"]
    for article_id, claim_id in made:
        urls += [f"/articles/{article_id}", f"/claims/{claim_id}",
                 f"/articles/{article_id}/activity"]
    for url in urls:
        page.goto(base + url)
        page.wait_for_load_state("load")
        assert page.evaluate(INJECTION_PROBE) == [], url
    # An htmx fragment swapped into a page is checked too.
    page.goto(f"{base}/articles/{made[0][0]}")
    page.click(f"#claim-item-{made[0][1]} a")
    page.wait_for_selector(f"#claim-panel[data-claim='{made[0][1]}']")
    assert page.evaluate(INJECTION_PROBE) == []
    # The payloads are there, as text.
    assert "<" in page.locator("#claim-panel .note-body").first.inner_text()
    assert page.dialogs == []
    # The probe itself sees an injection when there is one.
    page.evaluate("() => document.body.insertAdjacentHTML('beforeend', "
                  "'<img src=x onerror=1><a href=\"javascript:alert(1)\">x</a>')")
    assert len(page.evaluate(INJECTION_PROBE)) >= 3

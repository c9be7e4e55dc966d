"""A desk's finished work on the shared article, for every export format's tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from annotator.db import new_session, session_scope
from annotator.exports import ExportFilter, run_export
from annotator.models import User
from annotator.services import articles, claims

BASE = "https://desk.example.org"
DESK = "Example Fact-check Desk"


@dataclass
class Work:
    article_id: int
    approved: int  # approved once
    corrected: int  # approved, reopened, corrected and approved again
    in_progress: int  # has a verdict but is not approved
    claim_count: int


def _review(s, reviewer, editor, claim_id, statement, verdict, conclusion, sources):
    claim = claims.get_claim(s, claim_id)
    if claim.state == "proposed":
        claims.transition(s, reviewer, claim_id, "accept")
    if claims.get_claim(s, claim_id).state == "open":
        claims.transition(s, reviewer, claim_id, "start")
    claim = claims.get_claim(s, claim_id)
    claims.update_claim(s, reviewer, claim_id, claim.version, {
        "statement": statement, "verdict": verdict, "conclusion": conclusion})
    for url, stance, title in sources:
        claims.add_source(s, reviewer, claim_id, {"url": url, "stance": stance, "title": title})


@pytest.fixture
def work(engine, people, shared) -> Work:
    """Import the shared article and take three claims through review."""
    text = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text=text, title="Kazakh conscriptions", url="https://example.org/kz",
            outlet="RFE/RL", byline="Jane Reporter", published="2019-06-07"))
        found = articles.article_claims(s, article.id)
        six = next(c for c in found if "at least six male activists" in c.quote)
        others = [c for c in found if c.id != six.id]
        first, second, third = six.id, others[0].id, others[1].id

        _review(s, reviewer, editor, first, "at least six activists conscripted",
                "mostly_true", "Six names are documented.",
                [("https://a.example/1", "supports", "List of names"),
                 ("https://b.example/2", "refutes", "Ministry statement")])
        claims.add_note(s, reviewer, first, "Five names in the **article**")
        claims.transition(s, reviewer, first, "submit")
        claims.transition(s, editor, first, "approve")

        _review(s, reviewer, editor, second, "=HYPERLINK(\"http://evil\")", "false",
                "+1 nothing supports it", [("https://c.example/3", "context", "Background")])
        claims.transition(s, reviewer, second, "submit")
        claims.transition(s, editor, second, "approve")
        claims.transition(s, editor, second, "reopen", comment="A new source appeared")
        claim = claims.get_claim(s, second)
        claims.update_claim(s, reviewer, second, claim.version,
                            {"verdict": "misleading", "conclusion": "@corrected: misleading"})
        claims.transition(s, reviewer, second, "submit")
        claims.transition(s, editor2 := s.get(User, people["editor2"]), second, "approve")
        assert editor2.role == "editor"

        _review(s, reviewer, editor, third, "-3 percent", "unproven", "Still checking.",
                [("https://d.example/4", "context", "")])
        return Work(article.id, first, second, third, len(found))


@pytest.fixture
def export(engine):
    """Return a function that runs one export to a string, as the CLI would."""
    def run(fmt: str, filters: ExportFilter | None = None) -> str:
        session = new_session(engine)
        try:
            return "".join(run_export(session, fmt, filters, base_url=BASE, desk_name=DESK))
        finally:
            session.close()
    return run

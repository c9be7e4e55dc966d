"""The dashboard and its JSON twin: states, verdicts, reviews per week, agreement."""

from __future__ import annotations

import pytest

from annotator.db import session_scope
from annotator.models import Claim, User
from annotator.services import articles, blind, claims

TEXT = ("The port handled 3.1 million containers in 2024.\n\n"
        "Mayor Ana Silva said the new crane cost 8 million euros.")


@pytest.fixture
def reviewed(engine, people):
    """Two claims verdicted by reviewer, each blind-reviewed by reviewer2."""
    with session_scope(engine) as s:
        editor, first, second = (s.get(User, people[n]) for n in ("editor", "reviewer",
                                                                   "reviewer2"))
        blind.set_desk_default(s, editor, True)
        article = articles.import_article(s, editor, articles.ImportRequest(text=TEXT))
        for needle, verdict, other in (("The port", "true", "true"),
                                       ("Mayor", "false", "mostly_false")):
            start = TEXT.index(needle)
            claim = claims.create_claim(s, editor, article.id, start, TEXT.index(".", start) + 1)
            claims.transition(s, first, claim.id, "start")
            claims.update_claim(s, first, claim.id, s.get(Claim, claim.id).version,
                                {"verdict": verdict, "conclusion": "Checked."})
            claims.add_source(s, first, claim.id, {"url": "https://x.example/1",
                                                   "stance": "supports"})
            claims.transition(s, first, claim.id, "submit")
            blind.record(s, second, claim.id, other, "")
        return article.id


def test_the_json_twin_has_every_chart(as_user, reviewed):
    data = as_user("editor").get("/dashboard?format=json").get_json()
    states = {b["key"]: b["count"] for b in data["by_state"]}
    assert states["in_review"] == 2
    # Neither claim is approved yet: their verdicts are drafts, not results.
    assert sum(b["count"] for b in data["by_verdict"]) == 0
    drafts = {b["key"]: b["count"] for b in data["draft_verdicts"]}
    assert drafts["true"] == 1 and drafts["false"] == 1
    (row,) = data["reviews_per_week"]["reviewers"]
    assert row["username"] == "reviewer" and row["total"] == 2
    (pair,) = data["agreement"]
    assert {pair["rater_a"], pair["rater_b"]} == {"reviewer", "reviewer2"}
    assert pair["n"] == 2 and pair["percent"] == 50.0


def test_the_page_draws_svg_charts(as_user, reviewed):
    page = as_user("editor").get("/dashboard").get_data(True)
    assert page.count("<svg") == 3 and 'class="bar state-in_review"' in page
    assert "Cohen" in page and "50.0 %" in page


def test_a_blind_reviewer_sees_neither_agreement_nor_hidden_verdicts(as_user, reviewed):
    data = as_user("viewer").get("/dashboard?format=json").get_json()
    assert data["agreement"] == []
    assert sum(b["count"] for b in data["by_verdict"]) == 0 and data["draft_verdicts"] == []


def test_the_desk_setting_turns_blind_review_on_for_new_articles(as_user, engine):
    editor = as_user("editor")
    assert editor.post("/dashboard/blind-default", data={"on": "1"}).status_code == 303
    with session_scope(engine) as s:
        assert blind.desk_default(s) is True
    assert as_user("reviewer").post("/dashboard/blind-default", data={"on": "0"}
                                    ).status_code == 403

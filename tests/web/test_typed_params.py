"""Each input the last attack broke, one at a time: a 4xx saying what is wrong, never a 500.

(The fuzz test sends every hostile value to every route; these pin the reported cases.)
"""

from __future__ import annotations

import logging

import pytest

from annotator.db import session_scope
from annotator.models import User
from annotator.services import articles, claims

HUGE = ["18446744073709551621", "123456789012345678901234567890", "\u00b2", "\u0663"]


@pytest.fixture
def claim_id(engine, people):
    with session_scope(engine) as s:
        admin = s.get(User, people["admin"])
        article = articles.import_article(s, admin, articles.ImportRequest(
            text="The port handled 3.1 million containers in 2024, up 12 percent, it said."))
        return claims.create_claim(s, admin, article.id, 0, 40).id


def _no_500(response, caplog):
    assert response.status_code < 500, response.status_code
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("value", HUGE)
def test_ids_beyond_the_database_are_refused_on_every_reported_form(as_user, claim_id, caplog,
                                                                     value):
    admin = as_user("admin")
    with caplog.at_level(logging.ERROR):
        _no_500(admin.get("/claims", query_string={"assignee": value}), caplog)
        _no_500(admin.get("/claims", query_string={"page": value}), caplog)
        _no_500(admin.post("/claims/bulk-assign", data={"claim": [str(claim_id)],
                                                        "assignee": value}), caplog)
        _no_500(admin.post("/claims/bulk-assign", data={"claim": value,
                                                        "assignee": "1"}), caplog)
        _no_500(admin.post(f"/claims/{claim_id}/matches/link",
                           data={"kind": "external", "ref": value}), caplog)
        _no_500(admin.post("/admin/tokens", data={"user_id": value, "name": "x"}), caplog)
        _no_500(admin.post("/admin/verdicts/opinion", data={
            "label": "Opinion", "colour": "#777777", "rating_value": value}), caplog)
        _no_500(admin.post(f"/claims/{claim_id}/transitions",
                           data={"action": "assign", "assignee": value}), caplog)


def test_a_unicode_digit_page_is_a_400_naming_the_page(as_user):
    answer = as_user("viewer").get("/claims?page=%C2%B2", headers={"Accept": "application/json"})
    assert answer.status_code == 400 and answer.get_json()["detail"].startswith("page")

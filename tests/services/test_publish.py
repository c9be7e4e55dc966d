"""Publishing: an editor records where an approved claim's fact-check was published."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import new_session, session_scope
from annotator.models import Event, User
from annotator.services import claims, publish
from annotator.services.errors import Conflict, Forbidden, Invalid
from tests.web.test_matches_web import FIRST, approve, new_claim

URL = "https://desk.example.org/fact-checks/six-activists"


@pytest.fixture
def approved(engine, people):
    return approve(engine, people, FIRST, "six activists conscripted")


def test_an_editor_sets_it_on_an_approved_claim_and_history_records_it(engine, people,
                                                                      approved):
    with session_scope(engine) as s:
        before = claims.get_claim(s, approved).version
        claim = publish.set_published_url(s, s.get(User, people["editor2"]), approved, URL,
                                          before)
        assert claim.published_url == URL and claim.state == "approved"
        assert claim.version == before + 1
    with new_session(engine) as s:
        (event,) = s.exec(select(Event).where(Event.claim_id == approved,
                                              Event.action == "publish")).all()
        assert (event.old, event.new) == ({"published_url": ""}, {"published_url": URL})


def test_the_api_patch_sets_it_through_the_same_rule(engine, people, approved):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        version = claims.get_claim(s, approved).version
        claims.update_claim(s, editor, approved, version, {"published_url": URL})
        assert claims.get_claim(s, approved).published_url == URL


@pytest.mark.parametrize("who, url, error", [
    ("reviewer", URL, Forbidden), ("viewer", URL, Forbidden),
    ("editor", "javascript:alert(1)", Invalid), ("editor", "ftp://x.example/a", Invalid),
    ("editor", "https://x.example/" + "a" * 2000, Invalid),
])
def test_it_refuses_other_roles_and_addresses_that_are_not_http(engine, people, approved,
                                                                who, url, error):
    with session_scope(engine) as s, pytest.raises(error):
        publish.set_published_url(s, s.get(User, people[who]), approved, url)


def test_only_an_approved_claim_is_published_and_a_stale_version_conflicts(engine, people,
                                                                          approved):
    draft = new_claim(engine, people, FIRST + " A second printing.")
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        with pytest.raises(Conflict):
            publish.set_published_url(s, editor, draft, URL)
        with pytest.raises(Conflict):
            publish.set_published_url(s, editor, approved, URL, version=1)

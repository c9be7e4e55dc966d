"""The verdict scale: editing labels, colours and the ClaimReview mapping; removing unused ones."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Article, BlindReview, Claim, Event, User
from annotator.services import verdicts
from annotator.services.errors import Invalid, NotFound

DEFAULT_KEYS = ["true", "mostly_true", "mixed", "misleading", "mostly_false", "false",
                "unproven", "not_a_claim", "opinion"]


@pytest.fixture
def db(engine, people):
    with session_scope(engine) as session:
        yield session


@pytest.fixture
def admin(db, people) -> User:
    return db.get(User, people["admin"])


def _claim_with(db, people, verdict: str) -> Claim:
    article = Article(title="t", body="The port handled 3 million boxes.", raw="",
                      content_hash="x" * 64)
    db.add(article)
    db.flush()
    claim = Claim(article_id=article.id, start=0, end=8, quote="The port", statement="s",
                  verdict=verdict)
    db.add(claim)
    db.flush()
    return claim


def test_it_lists_the_default_scale_in_order(db):
    assert [v.key for v in verdicts.list_verdicts(db)] == DEFAULT_KEYS


def test_it_edits_a_label_colour_and_mapping_and_records_the_change(db, admin):
    verdicts.update_verdict(db, admin, "mixed", {
        "label": " Half  true ", "colour": "#AABBCC", "alternate_name": "Half true",
        "rating_value": "4", "needs_source": "on"})
    mixed = verdicts.get_verdict(db, "mixed")
    assert (mixed.label, mixed.colour, mixed.alternate_name, mixed.rating_value) == (
        "Half true", "#aabbcc", "Half true", 4)
    (event,) = db.exec(select(Event).where(Event.action == "verdict_edit")).all()
    assert event.actor_id == admin.id
    assert event.old == {"key": "mixed", "label": "Mixed", "colour": "#b08800",
                         "alternate_name": "Mixture", "rating_value": 5}
    assert event.new["label"] == "Half true"


def test_an_edit_that_changes_nothing_records_nothing(db, admin):
    verdicts.update_verdict(db, admin, "true", {"label": "True"})
    assert db.exec(select(Event)).all() == []


def test_an_empty_rating_takes_a_verdict_off_the_scale(db, admin):
    verdicts.update_verdict(db, admin, "unproven", {"rating_value": "", "needs_source": False})
    unproven = verdicts.get_verdict(db, "unproven")
    assert unproven.rating_value is None and unproven.needs_source is False


@pytest.mark.parametrize(("field", "value", "message"), [
    ("label", "  ", "needs a label"),
    ("label", "x" * 65, "64"),
    ("colour", "red", "colour"),
    ("colour", "#12345", "colour"),
    ("rating_value", "0", "1 or more"),
    ("rating_value", "four", "1 or more"),
    ("position", "first", "whole number"),
    ("alternate_name", "y" * 65, "64"),
])
def test_it_refuses_bad_values(db, admin, field, value, message):
    with pytest.raises(Invalid, match=message):
        verdicts.update_verdict(db, admin, "mixed", {field: value})


def test_it_adds_a_verdict_at_the_end(db, admin):
    satire = verdicts.create_verdict(db, admin, "satire", {"label": "Satire",
                                                            "colour": "#123456"})
    assert satire.position == len(DEFAULT_KEYS)
    assert verdicts.list_verdicts(db)[-1].key == "satire"
    assert db.exec(select(Event).where(Event.action == "verdict_create")).one().new["key"] == (
        "satire")


@pytest.mark.parametrize("key", ["Satire", "s", "1abc", "has space", "x" * 33, "true"])
def test_it_refuses_a_bad_or_taken_key(db, admin, key):
    with pytest.raises(Invalid):
        verdicts.create_verdict(db, admin, key, {"label": "Satire"})


def test_it_refuses_a_verdict_without_a_label(db, admin):
    with pytest.raises(Invalid, match="label"):
        verdicts.create_verdict(db, admin, "satire", {})


def test_it_removes_an_unused_verdict_and_records_it(db, admin):
    verdicts.delete_verdict(db, admin, "opinion")
    assert "opinion" not in [v.key for v in verdicts.list_verdicts(db)]
    event = db.exec(select(Event).where(Event.action == "verdict_delete")).one()
    assert event.old["label"] == "Opinion"
    with pytest.raises(NotFound):
        verdicts.delete_verdict(db, admin, "opinion")


def test_it_refuses_to_remove_a_verdict_claims_use(db, admin, people):
    _claim_with(db, people, "false")
    with pytest.raises(Invalid, match="in use by 1 claim"):
        verdicts.delete_verdict(db, admin, "false")
    assert verdicts.usage(db) == {"false": 1}


def test_it_refuses_to_remove_a_verdict_a_blind_review_uses(db, admin, people):
    claim = _claim_with(db, people, None)
    db.add(BlindReview(claim_id=claim.id, reviewer_id=people["reviewer"], verdict="opinion"))
    db.flush()
    with pytest.raises(Invalid, match="1 blind review"):
        verdicts.delete_verdict(db, admin, "opinion")

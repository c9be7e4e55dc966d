"""Loading other outlets' fact-checks from ClaimReview JSON-LD."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from annotator.db import new_session
from annotator.models import ExternalFactCheck, MatchCandidate
from annotator.services import factchecks
from annotator.services.errors import Invalid

REVIEW = {
    "@context": "https://schema.org", "@type": "ClaimReview",
    "url": "https://checker.example/fc/1", "identifier": "fc-1",
    "claimReviewed": "Six activists were conscripted in Kazakhstan.",
    "name": "Were six activists conscripted?", "description": "We looked at the names.",
    "reviewRating": {"@type": "Rating", "alternateName": "Mostly true", "ratingValue": 4},
    "author": {"@type": "Organization", "name": "Checker"},
    "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "A. Activist"}},
    "datePublished": "2019-06-10", "inLanguage": "en",
}


def _rows(engine) -> list[ExternalFactCheck]:
    with new_session(engine) as s:
        return list(s.exec(select(ExternalFactCheck).order_by(ExternalFactCheck.id)).scalars())


def _count(engine, model) -> int:
    with new_session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()[0]


def test_it_stores_every_field_of_a_single_claimreview(engine):
    report = factchecks.load(engine, json.dumps(REVIEW))
    assert report.created == 1
    (row,) = _rows(engine)
    assert (row.url, row.identifier, row.rating, row.publisher) == (
        "https://checker.example/fc/1", "fc-1", "Mostly true", "Checker")
    assert row.claim_reviewed.startswith("Six activists") and row.claimant == "A. Activist"
    assert row.title == "Were six activists conscripted?" and row.language == "en"
    assert row.published.isoformat() == "2019-06-10"
    assert _count(engine, MatchCandidate) == 1


@pytest.mark.parametrize("envelope", [
    lambda items: items,
    lambda items: {"@context": "https://schema.org", "@graph": items},
    lambda items: {"@type": "DataFeed", "dataFeedElement": items},
    lambda items: {"@type": "DataFeed", "dataFeedElement": [
        {"@type": "DataFeedItem", "item": i} for i in items]},
], ids=["array", "graph", "datafeed", "datafeed-items"])
def test_it_reads_every_envelope(engine, envelope):
    items = [REVIEW, {**REVIEW, "url": "https://checker.example/fc/2", "identifier": "fc-2"}]
    assert factchecks.load(engine, json.dumps(envelope(items))).created == 2


def test_incomplete_items_are_kept_and_unsafe_urls_dropped(engine):
    items = [
        {"@type": "ClaimReview", "claimReviewed": "No rating and no URL."},
        {"@type": "ClaimReview", "claimReviewed": "A script URL.", "url": "javascript:alert(1)",
         "identifier": "bad-url"},
        {"@type": "ClaimReview", "claimReviewed": "x" * 9000, "identifier": "long"},
        {"@type": "ClaimReview", "name": "Only a title"},
        {"@type": "ClaimReview"},
        {"@type": "Person", "name": "not a review"},
        "nonsense",
    ]
    report = factchecks.load(engine, json.dumps(items))
    assert (report.created, report.skipped) == (4, 3)
    rows = {r.identifier or r.claim_reviewed: r for r in _rows(engine)}
    assert rows["No rating and no URL."].rating == "" and rows["No rating and no URL."].url == ""
    assert rows["bad-url"].url == ""
    assert len(rows["long"].claim_reviewed) == factchecks.LIMITS["claim_reviewed"]
    assert rows["Only a title"].title == "Only a title"


def test_the_same_url_or_identifier_updates_instead_of_adding(engine):
    factchecks.load(engine, json.dumps(REVIEW))
    changed = {**REVIEW, "identifier": "", "reviewRating": {"alternateName": "False"}}
    assert factchecks.load(engine, json.dumps(changed)).updated == 1
    by_identifier = {**{k: v for k, v in REVIEW.items() if k != "reviewRating"},
                     "url": None, "name": "A new title"}
    assert factchecks.load(engine, json.dumps(by_identifier)).updated == 1
    (row,) = _rows(engine)
    assert row.rating == "False" and row.title == "A new title"
    assert row.url == "https://checker.example/fc/1"  # a feed without the URL keeps it
    assert _count(engine, MatchCandidate) == 1


def test_bad_files_get_a_clear_refusal(engine):
    with pytest.raises(Invalid, match="not JSON"):
        factchecks.load(engine, b"\xff<html>")
    with pytest.raises(Invalid, match="no ClaimReview"):
        factchecks.load(engine, b"[]")


def test_the_shared_snopes_feed_loads_and_loading_it_twice_changes_nothing(engine, shared):
    path = shared / "data" / "claim-matching" / "snopes-factchecks.claimreview.json"
    first = factchecks.load(engine, path.read_bytes())
    assert first.created == 14231 and first.skipped == 0
    before = [(r.id, r.url, r.identifier, r.updated_at) for r in _rows(engine)]
    second = factchecks.load(engine, path.read_bytes())
    assert (second.created, second.updated, second.unchanged) == (0, 0, 14231)
    assert [(r.id, r.url, r.identifier, r.updated_at) for r in _rows(engine)] == before
    assert _count(engine, MatchCandidate) == 14231
    assert sum(1 for r in before if r[1]) == 2266


def test_a_feeds_text_too_long_is_shortened_visibly_and_a_long_url_dropped():
    long_claim = "The council spent " + "a great deal of money on roads " * 120
    values = factchecks.normalise({
        "@type": "ClaimReview", "claimReviewed": long_claim,
        "url": "https://checks.example/" + "a" * 2100, "name": "T" * 600,
        "reviewRating": {"alternateName": "False"}})
    limit = factchecks.LIMITS["claim_reviewed"]
    assert len(values["claim_reviewed"]) <= limit
    assert values["claim_reviewed"].endswith("\u2026")
    assert values["title"].endswith("\u2026") and len(values["title"]) <= 500
    assert values["url"] == ""  # a cut address would point somewhere else

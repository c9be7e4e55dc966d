"""ClaimReview JSON-LD: approved claims only, Google's fields, and the shared checker passes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from annotator.exports import ExportFilter

BASE = "https://desk.example.org"


def _feed(export, filters=None) -> dict:
    return json.loads(export("claimreview", filters))


def _by_url(feed: dict) -> dict:
    return {node["url"]: node for node in feed["@graph"]}


def test_the_feed_holds_only_approved_claims(export, work):
    feed = _feed(export)
    assert feed["@context"] == "https://schema.org"
    assert set(_by_url(feed)) == {f"{BASE}/claims/{work.approved}/public",
                                  f"{BASE}/claims/{work.corrected}/public"}


def test_a_review_carries_googles_fields(export, work):
    node = _by_url(_feed(export))[f"{BASE}/claims/{work.approved}/public"]
    assert node["@type"] == "ClaimReview"
    assert node["claimReviewed"] == "at least six activists conscripted"
    assert node["reviewRating"] == {"@type": "Rating", "alternateName": "Mostly true",
                                    "ratingValue": 6, "bestRating": 7, "worstRating": 1}
    assert node["author"] == {"@type": "Organization", "name": "Example Fact-check Desk",
                              "url": f"{BASE}/"}
    item = node["itemReviewed"]
    assert item["@type"] == "Claim" and item["datePublished"] == "2019-06-07"
    assert item["appearance"]["url"] == "https://example.org/kz"
    assert item["author"] == {"@type": "Person", "name": "Jane Reporter"}
    assert node["datePublished"].startswith("20") and "dateModified" not in node


def test_a_reopened_and_corrected_claim_has_date_modified(export, work):
    node = _by_url(_feed(export))[f"{BASE}/claims/{work.corrected}/public"]
    assert node["reviewRating"]["alternateName"] == "Misleading"
    assert node["dateModified"] > node["datePublished"]


def test_filters_apply_and_other_states_give_an_empty_feed(export, work):
    assert [n["url"] for n in _feed(export, ExportFilter(verdicts=["misleading"]))["@graph"]] \
        == [f"{BASE}/claims/{work.corrected}/public"]
    assert _feed(export, ExportFilter(states=["in_progress"]))["@graph"] == []


def test_the_feed_passes_the_shared_claimreview_checker(export, work, shared, tmp_path):
    path = tmp_path / "feed.jsonld"
    path.write_text(export("claimreview"), encoding="utf-8")
    result = subprocess.run([sys.executable, str(shared / "tools" / "check_claimreview.py"),
                             str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout and "ERROR" not in result.stdout


def test_one_claim_at_a_time_passes_the_checker_too(engine, work, shared, tmp_path):
    from annotator.db import new_session
    from annotator.exports.claimreview import single_claimreview
    from annotator.services import claims

    with new_session(engine) as session:
        doc = single_claimreview(session, claims.get_claim(session, work.approved),
                                 base_url=BASE, desk_name="Desk")
        assert single_claimreview(session, claims.get_claim(session, work.in_progress),
                                  base_url=BASE, desk_name="Desk") is None
    assert doc["@context"] == "https://schema.org"
    path = tmp_path / "one.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = subprocess.run([sys.executable, str(shared / "tools" / "check_claimreview.py"),
                             str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert "PASS" in result.stdout and " 0 errors" in result.stdout, result.stdout
    assert "ERROR" not in result.stdout


@pytest.mark.parametrize(("name", "kind"), [
    ("RFE/RL", "Organization"),
    ("Riverton Gazette", "Organization"),  # the article's outlet
    ("The ministry", "Organization"),
    ("Officials", "Organization"),
    ("NATO", "Organization"),
    ("Alimzhan Izbasarov", "Person"),
    ("Ursula von der Leyen", "Person"),
])
def test_the_claimant_is_an_organisation_or_a_person_by_its_name(name, kind):
    from annotator.exports.claimreview import claimant_node

    assert claimant_node(name, outlet="Riverton Gazette") == {"@type": kind, "name": name}


def test_an_outlet_as_claimant_is_an_organisation_in_the_feed(engine, export, work, shared,
                                                               tmp_path):
    from annotator.db import session_scope
    from annotator.models import Claim

    with session_scope(engine) as session:
        session.get(Claim, work.approved).claimant = "RFE/RL"
        session.get(Claim, work.corrected).claimant = "Alimzhan Izbasarov"
    feed = _by_url(_feed(export))
    assert feed[f"{BASE}/claims/{work.approved}/public"]["itemReviewed"]["author"] == {
        "@type": "Organization", "name": "RFE/RL"}
    assert feed[f"{BASE}/claims/{work.corrected}/public"]["itemReviewed"]["author"] == {
        "@type": "Person", "name": "Alimzhan Izbasarov"}
    path = tmp_path / "feed.jsonld"
    path.write_text(export("claimreview"), encoding="utf-8")
    result = subprocess.run([sys.executable, str(shared / "tools" / "check_claimreview.py"),
                             str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr

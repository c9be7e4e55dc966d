"""Exports carry matching's data: external fact-checks (native JSON), links and publishing
(ClaimReview `url`, `itemReviewed.author`, `isBasedOn`), HTML-safe ClaimReview JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from sqlmodel import select

import annotator
from annotator.db import new_session, session_scope
from annotator.exports import ExportFilter
from annotator.exports.json_export import export_json
from annotator.models import ExternalFactCheck, MatchCandidate, User
from annotator.services import factchecks, matching, publish
from annotator.services.json_import import import_json
from tests.exports.test_json_import import empty_engine  # noqa: F401  (a fixture)
from tests.web.test_matches_web import FIRST, approve

FEED = [{"@type": "ClaimReview", "identifier": "fc-kz", "url": "https://checker.example/kz",
         "claimReviewed": "Six activists were drafted into the army in Kazakhstan.",
         "reviewRating": {"alternateName": "True"}, "datePublished": "2019-06-12",
         "author": {"@type": "Organization", "name": "Checker"}},
        {"@type": "ClaimReview", "claimReviewed": "No URL, no rating."}]
SCHEMA = json.loads((Path(annotator.__file__).parent / "exports" / "export.schema.json")
                    .read_text(encoding="utf-8"))


def _native(engine, filters=None) -> dict:
    with new_session(engine) as s:
        return json.loads("".join(export_json(s, filters)))


def test_the_native_export_carries_external_factchecks_and_import_brings_them_back(
        engine, empty_engine):  # noqa: F811
    factchecks.load(engine, json.dumps(FEED))
    doc = _native(engine)
    jsonschema.validate(doc, SCHEMA)
    external = doc["external_factchecks"]
    assert [e["identifier"] for e in external] == ["fc-kz", ""]
    assert external[0] | {} == {**external[0], "url": "https://checker.example/kz",
                                "rating": "True", "publisher": "Checker",
                                "published": "2019-06-12"}
    with session_scope(empty_engine) as s:
        report = import_json(s, json.dumps(doc))
        assert report.external_factchecks == 2
    with new_session(empty_engine) as s:
        assert len(s.exec(select(ExternalFactCheck)).all()) == 2
        assert len(s.exec(select(MatchCandidate)).all()) == 2
    assert _native(empty_engine)["external_factchecks"] == external
    assert "external_factchecks" not in _native(engine, ExportFilter(article_ids=[1]))


def test_claimreview_uses_published_url_claimant_and_linked_matches(engine, people, shared,
                                                                    tmp_path, export):
    factchecks.load(engine, json.dumps(FEED))
    claim_id = approve(engine, people, FIRST, "six activists conscripted",
                       conclusion="Documented </script><!-- & more",
                       claimant="Kazakh Defence Ministry")
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        publish.set_published_url(s, editor, claim_id, "https://desk.example.org/fc/six")
        fc = s.exec(select(ExternalFactCheck).where(ExternalFactCheck.identifier == "fc-kz")
                    ).one()
        matching.link_match(s, s.get(User, people["reviewer"]), claim_id, "external", fc.id)
    text = export("claimreview")
    assert "</script>" not in text and "<!--" not in text and " & " not in text
    (node,) = json.loads(text)["@graph"]
    assert node["url"] == "https://desk.example.org/fc/six"
    assert node["reviewBody"] == "Documented </script><!-- & more"
    assert node["itemReviewed"]["author"] == {"@type": "Organization",
                                              "name": "Kazakh Defence Ministry"}
    assert node["isBasedOn"] == [{"@type": "ClaimReview", "url": "https://checker.example/kz",
                                  "identifier": "fc-kz",
                                  "claimReviewed": FEED[0]["claimReviewed"],
                                  "author": {"@type": "Organization", "name": "Checker"}}]
    path = tmp_path / "feed.jsonld"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, str(shared / "tools" / "check_claimreview.py"),
                             str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout
    history = _native(engine)["articles"][0]["claims"][0]["history"]
    assert {"link_match", "publish"} <= {e["action"] for e in history}

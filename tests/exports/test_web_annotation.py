"""W3C Web Annotations: selectors, bodies, and the W3C "must" tests on every part."""

from __future__ import annotations

import json
import subprocess
import sys

from annotator.exports import ExportFilter

BASE = "https://desk.example.org"
CONTEXT = "http://www.w3.org/ns/anno.jsonld"


def _validate(shared, paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(shared / "tools" / "validate_wadm.py"),
                           *map(str, paths)], capture_output=True, text=True, timeout=300)


def test_every_claim_is_an_annotation_in_the_first_page(export, work):
    doc = json.loads(export("wadm"))
    assert doc["type"] == "AnnotationCollection" and doc["@context"] == CONTEXT
    items = doc["first"]["items"]
    assert doc["total"] == len(items) == work.claim_count
    assert doc["last"] == doc["first"]["id"]


def test_an_annotation_targets_the_quote_and_holds_the_review(export, work, engine):
    doc = json.loads(export("wadm", ExportFilter(article_ids=[work.article_id])))
    note = next(a for a in doc["first"]["items"] if a["id"] == f"{BASE}/claims/{work.approved}")
    assert note["motivation"] == "assessing"
    target = note["target"]
    assert target["source"] == "https://example.org/kz"
    quote, position = target["selector"]
    assert quote["type"] == "TextQuoteSelector"
    assert "at least six male activists" in quote["exact"]
    assert position["type"] == "TextPositionSelector" and position["end"] > position["start"]
    purposes = [(b["type"], b.get("purpose")) for b in note["body"]]
    assert ("TextualBody", "assessing") in purposes  # verdict and conclusion
    assert ("TextualBody", "commenting") in purposes  # the note
    assert purposes.count(("SpecificResource", "linking")) == 2  # the sources
    statement, verdict, key, conclusion = note["body"][:4]
    assert statement["value"] == "at least six activists conscripted"
    assert (verdict["value"], key["value"]) == ("Mostly true", "mostly_true")
    assert key["purpose"] == "tagging"
    assert conclusion["value"] == "Six names are documented."


def test_the_collection_its_page_and_each_annotation_pass_the_w3c_musts(export, work, shared,
                                                                       tmp_path):
    doc = json.loads(export("wadm"))
    paths = [tmp_path / "collection.json"]
    paths[0].write_text(json.dumps(doc))
    page = {"@context": CONTEXT, **doc["first"]}
    paths.append(tmp_path / "page.json")
    paths[-1].write_text(json.dumps(page))
    for i, item in enumerate(doc["first"]["items"]):
        paths.append(tmp_path / f"annotation-{i}.json")
        paths[-1].write_text(json.dumps({"@context": CONTEXT, **item}))
    result = _validate(shared, paths)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert result.stdout.count("PASS") == len(paths)

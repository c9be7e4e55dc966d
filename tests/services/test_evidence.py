"""The evidence's worth: at-risk reasons and order, the gate's words, the reader's marking."""

from __future__ import annotations

import pytest

from annotator import review
from annotator.models import Claim, Source, SourceSnapshot
from annotator.services import evidence, sources


def _item(claim_id: int, *sources: tuple[str, str, int | None]) -> evidence.AtRisk:
    item = evidence.AtRisk(claim=Claim(id=claim_id, article_id=1, start=0, end=1, quote="x",
                                       statement="x"), article_title="A")
    for n, (stance, health, change) in enumerate(sources):
        item.sources.append((Source(id=n + 1, claim_id=claim_id, url="https://a.example/",
                                    stance=stance),
                             SourceSnapshot(source_id=n + 1, status="stored", health=health,
                                            change=change)))
    evidence._assess(item)
    return item


@pytest.mark.parametrize("sources, reason", [
    ([("supports", "gone", None)], "Its only supporting source is gone."),
    ([("refutes", "moved", 3), ("context", "unchanged", 0)],
     "Its only refuting source is moved."),
    ([("supports", "gone", None), ("supports", "unchanged", 0), ("refutes", "changed", 40)],
     "1 of 3 sources gone; 1 source changed (up to 40 %)."),
    ([("supports", "changed", 12), ("supports", "changed", 5)],
     "2 sources changed (up to 12 %)."),
    ([("supports", "gone", None), ("refutes", "gone", None)],
     "All 2 of its key sources are gone or moved."),
])
def test_it_says_in_words_what_happened_to_the_evidence(sources, reason):
    assert _item(1, *sources).reason == reason


def test_a_claim_left_without_evidence_comes_first_then_the_share_lost_then_the_change():
    items = [_item(1, ("supports", "changed", 60)),
             _item(2, ("supports", "gone", None), ("supports", "unchanged", 0)),
             _item(3, ("supports", "gone", None)),
             _item(4, ("supports", "changed", 5)),
             _item(5, ("supports", "gone", None), ("supports", "unchanged", 0),
                   ("supports", "unchanged", 0))]
    assert [i.claim.id for i in sorted(items, key=lambda i: i.key)] == [3, 2, 5, 1, 4]


def test_the_gate_names_each_source_and_what_it_lacks():
    gap = review.evidence_gap((
        review.SourceEvidence("Ministry statement", "stored", "not_found"),
        review.SourceEvidence("https://b.example/x", "failed", "none"),
        review.SourceEvidence("Census table", "pending", "none"),
        review.SourceEvidence("Blog", "stored", "none")))
    assert gap == ("Needs a source archived with its quote found on the page: “Ministry "
                   "statement” has its quote not found on the page; “https://b.example/x” "
                   "could not be archived; “Census table” is still being archived "
                   "(and 1 more).")
    assert review.evidence_gap(()) == ("Needs a source archived with its quote found on the "
                                       "page.")


def test_the_gate_lets_through_one_qualifying_source_or_when_it_is_off():
    ok = (review.SourceEvidence("A", "failed", "none"),
          review.SourceEvidence("B", "stored", "found"))
    assert review.evidence_gap(ok) is None
    assert review.evidence_gap(None) is None


def test_the_reader_marks_the_quote_across_its_paragraph_only():
    text = "First paragraph.\nThe quote is here, then more.\n\nLast one."
    start = text.index("quote is")
    marked = sources.split_marked(text, start, start + len("quote is here"))
    assert marked == [[("First paragraph.", False)],
                      [("The ", False), ("quote is here", True), (", then more.", False)],
                      [("Last one.", False)]]
    assert sources.split_marked(text, None, None)[1] == [("The quote is here, then more.",
                                                           False)]

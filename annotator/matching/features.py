"""Re-ranking features: how much a retrieved candidate looks like the same claim as a query."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from annotator.matching import text as t

NAMES = (
    "bias", "retrieval_rel", "reciprocal_rank", "claim_rel", "title_rel", "summary_rel",
    "query_covered", "claim_covered", "jaccard", "bigrams", "title_covered",
    "numbers_agree", "numbers_conflict", "names_shared", "names_missing",
    "negation_differs", "claimant_agrees", "length_ratio", "claim_rank", "title_rank",
    "date_close", "date_far", "date_offset", "query_covered_idf", "claim_covered_idf",
)
IDF_FILE = Path(__file__).resolve().parent / "idf.json"


@dataclass
class Candidate:
    """A retrieved candidate and its full-text scores (higher is better)."""

    kind: str
    ref_id: int
    claim: str
    title: str = ""
    summary: str = ""
    claimant: str = ""
    score: float = 0.0  # the whole document's retrieval score
    field_scores: tuple[float, float, float] = (0.0, 0.0, 0.0)  # claim, title, summary
    published: date | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Query:
    """A query's text, analysed once for every candidate."""

    text: str
    claimant: str = ""
    when: date | None = None  # when the claim was made; else the last date the text names

    def __post_init__(self):
        cleaned = t.clean_query(self.text)
        if self.when is None:
            self.when = t.mentioned_date(self.text)
        self.stems = set(t.content_stems(cleaned))
        self.sequence = t.content_stems(cleaned)
        self.bigrams = set(zip(self.sequence, self.sequence[1:], strict=False))
        self.numbers = t.numbers(cleaned)
        self.names = t.names(cleaned)
        self.negated = t.negated(cleaned)
        self.claimant_stems = set(t.content_stems(self.claimant))
        self.name_phrases = t.name_phrases(cleaned)


@lru_cache(maxsize=1)
def idf_table() -> tuple[dict[str, float], float]:
    """Return the shipped inverse document frequencies of stems, and the one for unseen stems.

    Built by bench/matching.py from the fact-checks it trains on: rare words say more about
    whether two texts make the same claim than common ones.
    """
    if not IDF_FILE.exists():
        return {}, 1.0
    data = json.loads(IDF_FILE.read_text())
    return data["idf"], float(data["unseen"])


def rarity(stem: str) -> float:
    """Return a stem's inverse document frequency (the unseen value if it is not listed)."""
    table, unseen = idf_table()
    return table.get(stem, unseen)


# A key term is a word at most 1 in 100 fact-checks of the idf's archive holds: idf >= ln(101).
KEY_TERM_IDF = math.log(101)


def shared_evidence(query: Query, cand: Candidate) -> list[str]:
    """Return what the candidate shares with the query that could make it the same claim.

    A whole name ("West Virginia"), a number that is not a year, or a key term (a rare word
    that is no part of a name). A candidate sharing none of these is never the same claim,
    however well it scores (it is at most "possibly related").
    """
    text = f"{cand.claim}\n{cand.title}\n{cand.summary}"
    sequence = [t.stem(w) for w in t.words(text)]
    found = [" ".join(p) for p in sorted(query.name_phrases)
             if t.holds_phrase(sequence, p)]
    found += sorted(n for n in query.numbers & t.numbers(f"{cand.claim} {cand.title}")
                    if not t.is_year(n))
    in_names = {w for phrase in query.name_phrases for w in phrase}
    stems = set(sequence)
    found += sorted(s for s in (query.stems & stems) - in_names
                    if not s.isdigit() and rarity(s) >= KEY_TERM_IDF)
    return found


def _weight(stems: set[str]) -> float:
    table, unseen = idf_table()
    return sum(table.get(s, unseen) for s in stems)


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _dates(when: date | None, published: date | None) -> list[float]:
    if when is None or published is None:
        return [0.0, 0.0, 0.0]
    days = (published - when).days
    return [math.exp(-abs(days) / 30), 1.0 if abs(days) > 365 else 0.0, math.tanh(days / 90)]


def features(query: Query, cand: Candidate, rank: int, best: float,
             best_fields: tuple[float, float, float],
             field_ranks: tuple[int, int] = (0, 0)) -> list[float]:
    """Return the feature vector (in NAMES order) for one candidate at a rank (0 = first).

    field_ranks: the candidate's rank among the retrieved ones by claim and by title score.
    """
    claim_seq = t.content_stems(cand.claim)
    claim = set(claim_seq)
    everything = claim | set(t.content_stems(cand.title)) | set(t.content_stems(cand.summary))
    title = set(t.content_stems(cand.title))
    bigrams = set(zip(claim_seq, claim_seq[1:], strict=False))
    cand_text = f"{cand.claim} {cand.title}"
    nums = t.numbers(cand_text)
    names = t.names(f"{cand.claim} {cand.title} {cand.summary}")
    q = query
    shared_names = len(q.names & (names | everything))
    claimant = set(t.content_stems(cand.claimant)) | everything
    return [
        1.0,
        _ratio(cand.score, best) if best > 0 else 0.0,
        1.0 / (1 + rank),
        *(_ratio(s, b) if b > 0 else 0.0 for s, b in zip(cand.field_scores, best_fields,
                                                          strict=True)),
        _ratio(len(q.stems & everything), len(q.stems)),
        _ratio(len(q.stems & claim), len(claim)),
        _ratio(len(q.stems & claim), len(q.stems | claim)),
        min(len(q.bigrams & bigrams), 5) / 5,
        _ratio(len(q.stems & title), len(title)),
        1.0 if q.numbers and nums and q.numbers & nums else 0.0,
        1.0 if q.numbers and nums and not q.numbers & nums else 0.0,
        min(shared_names, 4) / 4,
        _ratio(len(q.names) - shared_names, len(q.names)),
        1.0 if q.negated != t.negated(cand.claim) else 0.0,
        1.0 if q.claimant_stems and q.claimant_stems <= claimant else 0.0,
        math.tanh(len(claim) / max(len(q.stems), 1) / 4),
        1.0 / (1 + field_ranks[0]),
        1.0 / (1 + field_ranks[1]),
        *_dates(q.when, cand.published),
        _fraction(_weight(q.stems & everything), _weight(q.stems)),
        _fraction(_weight(q.stems & claim), _weight(claim)),
    ]


def _fraction(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0

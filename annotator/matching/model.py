"""The learned re-ranker: logistic regression over features.NAMES, weights in weights.json."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from annotator.matching.features import NAMES, Candidate, Query, features

WEIGHTS = Path(__file__).resolve().parent / "weights.json"


SAME, RELATED = "same", "related"
TIERS = (SAME, RELATED)


@dataclass(frozen=True)
class Model:
    """Weights per feature and two calibrated probabilities (bench/matching.py, on training
    queries only): `threshold`, the least a match needs to be shown at all ("possibly
    related"), and `same_threshold`, the least it needs to be shown as the same claim."""

    weights: tuple[float, ...]
    threshold: float
    same_threshold: float | None = None

    def probability(self, vector: list[float]) -> float:
        z = sum(w * x for w, x in zip(self.weights, vector, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def rerank(self, query: Query, candidates: list[Candidate]) -> list[tuple[float, Candidate]]:
        """Score retrieved candidates (in retrieval order), best first."""
        scored = [(self.probability(vector), c)
                  for vector, c in zip(feature_rows(query, candidates), candidates,
                                       strict=True)]
        # Ties keep retrieval order: sorted() is stable.
        return sorted(scored, key=lambda pair: -pair[0])

    def tier(self, probability: float, evidence: bool) -> str | None:
        """Return `same`, `related`, or None (not shown) for a scored candidate.

        `evidence`: whether it shares a name, a number or a key term with the query
        (features.shared_evidence); without any, it is never the same claim.
        """
        if probability < self.threshold:
            return None
        same = self.threshold if self.same_threshold is None else self.same_threshold
        return SAME if evidence and probability >= same else RELATED

    def as_json(self, **info) -> str:
        return json.dumps({"features": list(NAMES), "weights": list(self.weights),
                           "threshold": self.threshold, "same_threshold": self.same_threshold,
                           **info}, indent=1) + "\n"


def feature_rows(query: Query, candidates: list[Candidate]) -> list[list[float]]:
    """Return each retrieved candidate's feature vector (candidates in retrieval order)."""
    if not candidates:
        return []
    best = max(c.score for c in candidates)
    best_fields = tuple(max(c.field_scores[i] for c in candidates) for i in range(3))
    ranks = [_ranks([c.field_scores[i] for c in candidates]) for i in range(2)]
    return [features(query, c, rank, best, best_fields, (ranks[0][rank], ranks[1][rank]))
            for rank, c in enumerate(candidates)]


def _ranks(scores: list[float]) -> list[int]:
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    out = [0] * len(scores)
    for position, i in enumerate(order):
        out[i] = position
    return out


def from_dict(data: dict) -> Model:
    """Build a model from weights.json's shape, checking it names the features we compute."""
    if list(data.get("features", [])) != list(NAMES):
        raise ValueError("weights.json was trained on other features; retrain it.")
    same = data.get("same_threshold")
    return Model(weights=tuple(float(w) for w in data["weights"]),
                 threshold=float(data["threshold"]),
                 same_threshold=None if same is None else float(same))


@lru_cache(maxsize=1)
def load_model() -> Model:
    """Return the shipped re-ranker."""
    return from_dict(json.loads(WEIGHTS.read_text()))

"""Score how check-worthy sentences are with the shipped logistic-regression weights."""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path

from annotator.extract.features import NEGATIVE_REASONS, REASONS, featurize
from annotator.extract.types import Scored

WEIGHTS_FILE = Path(__file__).with_name("data") / "scorer.json"
ENV_VAR = "ANNOTATOR_SCORER_WEIGHTS"
# Candidates scoring at or above this are proposed to the desk.
PROPOSE_THRESHOLD = 0.5


@lru_cache(maxsize=8)
def _load(path: str) -> dict:
    """Read a weights file: {"weights": {feature: weight}, ...}."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def weights_path() -> str:
    """Return the weights file in use (ANNOTATOR_SCORER_WEIGHTS overrides the shipped one)."""
    return os.environ.get(ENV_VAR) or str(WEIGHTS_FILE)


def load_weights(path: str | None = None) -> dict:
    """Return the weights document from `path` or the one in use."""
    return _load(path or weights_path())


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _explain(feats: list[str], weights: dict[str, float], score: float) -> list[str]:
    """Return the reasons behind a score, strongest first."""
    pos = sorted(
        ((weights.get(f, 0.0), REASONS[f]) for f in set(feats) if f in REASONS),
        reverse=True,
    )
    # Describe every cue present, most influential first; negatives only explain low scores.
    reasons = [r for _, r in pos]
    neg = sorted(
        (weights.get(f, 0.0), NEGATIVE_REASONS[f]) for f in set(feats) if f in NEGATIVE_REASONS
    )
    if score < PROPOSE_THRESHOLD:
        reasons += [r for w, r in neg if w < 0]
    return reasons


def score_many(texts: list[str], doc: dict | None = None) -> list[Scored]:
    """Score each text, using its neighbours as context, with reasons."""
    doc = doc or load_weights()
    weights: dict[str, float] = doc["weights"]
    offset = doc.get("offset", 0.0)
    out = []
    for feats in featurize(list(texts)):
        z = offset + sum(weights.get(f, 0.0) for f in feats)
        s = _sigmoid(z)
        out.append(Scored(round(s, 6), _explain(feats, weights, s)))
    return out


def score_texts(texts: list[str]) -> list[float]:
    """Return a check-worthiness score in [0, 1] for each text, using neighbours as context."""
    doc = load_weights()
    weights: dict[str, float] = doc["weights"]
    get = weights.get
    offset = doc.get("offset", 0.0)
    return [_sigmoid(offset + sum(get(f, 0.0) for f in feats)) for feats in featurize(list(texts))]


def score_sentence(text: str, previous: str | None = None, following: str | None = None) -> Scored:
    """Score one sentence, optionally with the sentences before and after it."""
    texts = [t for t in (previous, text, following) if t is not None]
    return score_many(texts)[0 if previous is None else 1]

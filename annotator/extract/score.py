"""Score how check-worthy sentences are with the shipped logistic-regression weights.

The weights are plain JSON (a vocabulary and coefficients exported from scikit-learn by
`train.py`), so loading needs neither scikit-learn nor pickle.
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path

from annotator.extract.features import (
    CONTEXT_CUES,
    NEGATIVE_REASONS,
    REASONS,
    hand_cues,
    tokens,
)
from annotator.extract.types import Scored

WEIGHTS_FILE = Path(__file__).with_name("data") / "scorer.json"
ENV_VAR = "ANNOTATOR_SCORER_WEIGHTS"
# Candidates whose calibrated probability reaches this are proposed to the desk (within
# the proposal budget); a desk setting overrides it.
PROPOSE_THRESHOLD = 0.37  # the "threshold" of the shipped scorer.json (F1-best, ClaimBuster)


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


def sigmoid(z: float) -> float:
    """Return the logistic function of z (a logit) without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _explain(cues: set[str], weights: dict[str, float], score: float) -> list[str]:
    """Return the reasons behind a score: cues present, most influential first."""
    found = sorted(((weights.get(c, 0.0), REASONS[c]) for c in cues if c in REASONS), reverse=True)
    reasons = [r for _, r in found]
    if score < PROPOSE_THRESHOLD:  # say what held a low score down
        neg = sorted(
            (weights.get(c, 0.0), NEGATIVE_REASONS[c]) for c in cues if c in NEGATIVE_REASONS
        )
        reasons += [r for w, r in neg if w < 0]
    return reasons


class _Model:
    """Hold weights split by kind so scoring needs no string building."""

    def __init__(self, doc: dict):
        weights: dict[str, float] = doc["weights"]
        self.weights = weights
        self.offset = doc.get("offset", 0.0) + weights.get("bias", 0.0)
        self.uni = {f[2:]: w for f, w in weights.items() if f[:2] == "w:"}
        self.bi = {tuple(f[2:].split(" ", 1)): w for f, w in weights.items() if f[:2] == "b:"}
        ctx = {c[2:] for c in CONTEXT_CUES}
        self.prev = {"h:" + c: weights.get("p:" + c, 0.0) for c in ctx}
        self.next = {"h:" + c: weights.get("n:" + c, 0.0) for c in ctx}
        self.edges = weights.get("p:none", 0.0), weights.get("n:none", 0.0)

    def logits(self, texts: list[str]) -> tuple[list[float], list[set[str]]]:
        """Return the logit and the hand cues of each text (neighbours give context)."""
        toks = [tokens(t) for t in texts]
        cues = [hand_cues(t, k) for t, k in zip(texts, toks, strict=True)]
        get, uni, bi = self.weights.get, self.uni.get, self.bi.get
        as_prev = [sum(self.prev[c] for c in cs if c in self.prev) for cs in cues]
        as_next = [sum(self.next[c] for c in cs if c in self.next) for cs in cues]
        n = len(texts)
        out = []
        for i, k in enumerate(toks):
            padded = ["<s>", *k, "</s>"]
            z = self.offset + sum(filter(None, map(uni, set(k))))
            z += sum(filter(None, map(bi, set(zip(padded, padded[1:], strict=False)))))
            z += sum(filter(None, map(get, cues[i])))
            z += as_prev[i - 1] if i > 0 else self.edges[0]
            z += as_next[i + 1] if i + 1 < n else self.edges[1]
            out.append(z)
        return out, cues


@lru_cache(maxsize=8)
def _model(path: str) -> _Model:
    return _Model(_load(path))


def score_many(texts: list[str], doc: dict | None = None) -> list[Scored]:
    """Score each text, using its neighbours as context, with reasons."""
    model = _Model(doc) if doc is not None else _model(weights_path())
    logits, cues = model.logits(list(texts))
    out = []
    for text, z, cs in zip(texts, logits, cues, strict=True):
        s = sigmoid(z)
        reasons = _explain(cs, model.weights, s) or [_wording(model, text, s)]
        out.append(Scored(round(s, 6), reasons))
    return out


# Function words explain nothing to a reader, whatever their weight.
_STOP = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "for", "from", "had",
    "has", "have", "he", "her", "his", "i", "in", "is", "it", "its", "of", "on", "or", "our",
    "she", "so", "that", "the", "their", "them", "they", "this", "to", "was", "we", "were",
    "which", "while", "who", "will", "with", "you",
])


def _wording(model: _Model, text: str, score: float) -> str:
    """Explain a score that no hand cue explains by the words that weighed most."""
    sign = 1 if score >= PROPOSE_THRESHOLD else -1
    words = {w for w in tokens(text) if w.isalpha() and len(w) > 2 and w not in _STOP}
    ranked = sorted(((sign * model.uni.get(w, 0.0), w) for w in words), reverse=True)
    top = [w for weight, w in ranked[:3] if weight > 0]
    if not top:
        return "overall wording"
    words = ", ".join(f"“{w}”" for w in top)
    kind = "check-worthy" if sign > 0 else "unremarkable"
    return f"words often in {kind} sentences: {words}"


def logits_alone(texts: list[str], doc: dict | None = None) -> list[float]:
    """Return each text's raw logit, scoring every text alone (no neighbours)."""
    model = _Model(doc) if doc is not None else _model(weights_path())
    return [model.logits([t])[0][0] for t in texts]


def score_texts(texts: list[str]) -> list[float]:
    """Return a check-worthiness score in [0, 1] for each text, using neighbours as context."""
    return [sigmoid(z) for z in _model(weights_path()).logits(list(texts))[0]]


def score_sentence(text: str, previous: str | None = None, following: str | None = None) -> Scored:
    """Score one sentence, optionally with the sentences before and after it."""
    texts = [t for t in (previous, text, following) if t is not None]
    return score_many(texts)[0 if previous is None else 1]

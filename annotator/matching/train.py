"""Fit the re-ranker: L2-regularised logistic regression by Newton's method (numpy only)."""

from __future__ import annotations

import numpy as np

from annotator.matching.model import Model


def fit(rows: list[list[float]], labels: list[int], *, l2: float = 1.0,
        iterations: int = 50) -> np.ndarray:
    """Return weights w maximising the penalised log-likelihood (the bias, column 0, is free)."""
    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -40, 40)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


def calibrate(scores: list[float], labels: list[int], *, precision: float = 0.8) -> float:
    """Return the lowest score threshold at which what passes is right `precision` of the time.

    None rather than noise: a match is shown only when matches scored like it were mostly
    real ones in training.
    """
    pairs = sorted(zip(scores, labels, strict=True), reverse=True)
    best = pairs[0][0] if pairs else 0.5
    hits = 0
    for i, (score, label) in enumerate(pairs, start=1):
        hits += label
        if hits / i >= precision:
            best = score
    return float(best)


def train(rows: list[list[float]], labels: list[int], **options) -> Model:
    """Fit weights and calibrate the threshold on the same training pairs."""
    w = fit(rows, labels, **options)
    x = np.asarray(rows, dtype=float)
    scores = (1.0 / (1.0 + np.exp(-np.clip(x @ w, -40, 40)))).tolist()
    return Model(weights=tuple(float(v) for v in w), threshold=calibrate(scores, labels))

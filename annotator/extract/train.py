"""Train the check-worthiness scorer: L2-regularised logistic regression in numpy.

Reproduce the shipped weights with:

    python -m annotator.extract.train \\
        --data ../shared/data/checkworthiness/clef2019-task1-train \\
        -o annotator/extract/data/scorer.json

Training is deterministic (full-batch Adam from zero weights, sorted vocabulary).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from annotator.extract.features import featurize

DEFAULTS = {"min_df": 2, "l2": 3e-3, "pos_weight": 6.0, "epochs": 250, "lr": 0.05}
# Share of training sentences that should score >= 0.5 (the proposal threshold) after
# calibration: debates hold ~3% fact-checked lines, news articles many more claims.
PROPOSE_RATE = 0.12


def load_debates(folder: str | Path) -> dict[str, list[tuple[str, int]]]:
    """Read CLEF CheckThat! TSV files: {file name: [(text, label), ...]} in line order."""
    out = {}
    for f in sorted(Path(folder).glob("*.tsv")):
        rows = []
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                cols = line.split("\t")
                rows.append((" ".join(cols[2].split()), int(cols[-1].strip())))
        out[f.name] = rows
    return out


def _design(docs: Sequence[Sequence[str]], index: dict[str, int]):
    """Return COO arrays (rows, cols) of binary features present in `index`."""
    rows, cols = [], []
    for i, feats in enumerate(docs):
        seen = {index[f] for f in feats if f in index}
        rows.extend([i] * len(seen))
        cols.extend(sorted(seen))
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def fit(
    docs: Sequence[Sequence[str]],
    labels: Sequence[int],
    *,
    vocab: Sequence[str] | None = None,
    init: dict[str, float] | None = None,
    min_df: int = DEFAULTS["min_df"],
    l2: float = DEFAULTS["l2"],
    pos_weight: float = DEFAULTS["pos_weight"],
    epochs: int = DEFAULTS["epochs"],
    lr: float = DEFAULTS["lr"],
) -> dict[str, float]:
    """Fit weights to feature lists and 0/1 labels; regularise towards `init` if given."""
    if vocab is None:
        df = Counter(f for feats in docs for f in set(feats))
        vocab = sorted(f for f, c in df.items() if c >= min_df or f[:2] not in ("w:", "b:"))
    index = {f: i for i, f in enumerate(vocab)}
    rows, cols = _design(docs, index)
    n, d = len(docs), len(vocab)
    y = np.asarray(labels, dtype=np.float64)
    sample_w = np.where(y > 0, pos_weight, 1.0)
    sample_w /= sample_w.sum()
    prior = np.array([(init or {}).get(f, 0.0) for f in vocab])
    w = prior.copy()
    m = np.zeros(d)
    v = np.zeros(d)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        z = np.bincount(rows, weights=w[cols], minlength=n)
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        r = (p - y) * sample_w
        grad = np.bincount(cols, weights=r[rows], minlength=d) + l2 * (w - prior)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return {f: round(float(x), 5) for f, x in zip(vocab, w, strict=True) if abs(x) >= 1e-4}


def calibration_offset(docs: Sequence[Sequence[str]], weights: dict[str, float]) -> float:
    """Return the logit shift that puts the top PROPOSE_RATE of `docs` at score >= 0.5."""
    z = np.array([sum(weights.get(f, 0.0) for f in feats) for feats in docs])
    return round(-float(np.quantile(z, 1.0 - PROPOSE_RATE)), 5)


def train(debates: dict[str, list[tuple[str, int]]], **params) -> dict:
    """Train on debates (neighbouring lines give context) and return a weights document."""
    docs: list[list[str]] = []
    labels: list[int] = []
    for rows in debates.values():
        docs += featurize([t for t, _ in rows])
        labels += [y for _, y in rows]
    settings = {**DEFAULTS, **params}
    weights = fit(docs, labels, **settings)
    return {
        "offset": calibration_offset(docs, weights),
        "format": "annotator-scorer/1",
        "model": "logistic regression over word n-grams, hand cues and context cues",
        "trained_on": sorted(debates),
        "params": settings,
        "weights": weights,
    }


def retrain(
    base: dict, examples: Iterable[tuple[str, int]], *, l2: float = 0.05, epochs: int = 100
) -> dict:
    """Adapt a weights document to a desk's own accepted (1) / dismissed (0) decisions.

    Start from the base weights and pull towards them (L2 around the base), so a few
    decisions nudge the scorer rather than replace it. Each example is scored alone.
    """
    examples = list(examples)
    if not examples:
        return base
    docs = [featurize([text])[0] for text, _ in examples]
    labels = [int(bool(y)) for _, y in examples]
    vocab = sorted(set(base["weights"]) | {f for feats in docs for f in feats})
    pos = sum(labels)
    pos_weight = (len(labels) - pos) / pos if 0 < pos < len(labels) else 1.0
    weights = fit(
        docs,
        labels,
        vocab=vocab,
        init=base["weights"],
        l2=l2,
        epochs=epochs,
        pos_weight=pos_weight,
        lr=0.02,
    )
    return {**base, "weights": weights, "retrained_on": base.get("retrained_on", 0) + len(labels)}


def save(doc: dict, path: str | Path) -> None:
    """Write a weights document as compact, stable JSON."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(
        json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> None:
    """Train from a folder of CLEF TSV debates and write the weights file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder of CLEF CheckThat! *.tsv debates")
    ap.add_argument("-o", "--output", required=True, help="weights JSON to write")
    for key, value in DEFAULTS.items():
        ap.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    args = ap.parse_args(argv)
    params = {k: getattr(args, k) for k in DEFAULTS}
    doc = train(load_debates(args.data), **params)
    save(doc, args.output)
    print(f"wrote {len(doc['weights'])} weights to {args.output}")


if __name__ == "__main__":
    main()

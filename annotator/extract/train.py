"""Train the check-worthiness scorer with scikit-learn and export it as plain JSON.

Reproduce the shipped weights with:

    python -m annotator.extract.train \\
        --data ../shared/data/checkworthiness/clef2019-task1-train \\
        --claimbuster ../shared/data/checkworthiness/claimbuster-2.5ncs/claimbuster_2.5ncs.json \\
        -o annotator/extract/data/scorer.json

The model is a logistic regression (liblinear) over word n-grams, hand cues and context
cues, with Platt scaling fitted on out-of-fold scores so that its probabilities are
calibrated. Only coefficients and a vocabulary are written, so scoring needs no
scikit-learn and no pickle. The default hyperparameters are the ones cross-corpus
validation picks (train on one corpus, score the other: `bench/checkworthiness_cv.py`).
Training is deterministic.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotator.extract.features import featurize

DEFAULTS = {"c": 0.01, "cb_weight": 2.0, "min_df": 3}
FORMAT = "annotator-scorer/2"
SOURCE_FEATURE = "src:clef"
CALIBRATION_FOLDS = 5
_NORM = re.compile(r"\W+")


@dataclass
class Group:
    """A run of labelled sentences that stay together in cross-validation (a debate)."""

    name: str
    texts: list[str]
    labels: list[int]
    source: str  # "clef" (a whole debate, lines in order) or "claimbuster" (a sample)

    def features(self) -> list[list[str]]:
        """Return each sentence's features; a CLEF debate's also carry "src:clef".

        The debates hold ~3% positives and the ClaimBuster sample ~29%. Without a feature
        for the source, the context cues (which only debates have) would soak up that
        difference and push down every sentence that has neighbours, as in any article.
        "src:clef" takes it instead and is never present when scoring.
        """
        if self.source != "clef":
            return featurize(self.texts, context=False)
        return [[*f, SOURCE_FEATURE] for f in featurize(self.texts, context=True)]


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


def _norm(text: str) -> str:
    return _NORM.sub(" ", text.lower()).strip()


def load_claimbuster(path: str | Path, exclude: Iterable[str] = (), chunk: int = 1000
                     ) -> list[Group]:
    """Read the ClaimBuster 2.5xNCS sample as groups of nearby sentence ids.

    The file does not say which debate a sentence comes from; sentence ids run through the
    debates in order, so blocks of `chunk` ids stand in for debates. Sentences whose text
    also occurs in `exclude` (the CLEF debates: the 2016 debates are in both) are dropped,
    so no sentence is ever both trained on and evaluated.
    """
    seen = {_norm(t) for t in exclude}
    rows = json.loads(Path(path).read_text(encoding="utf-8"))
    groups: dict[int, Group] = {}
    for r in sorted(rows, key=lambda r: r["sentence_id"]):
        text = " ".join(r["text"].split())
        if not text or _norm(text) in seen:
            continue
        key = int(r["sentence_id"]) // chunk
        g = groups.setdefault(key, Group(f"claimbuster-{key:03d}", [], [], "claimbuster"))
        g.texts.append(text)
        g.labels.append(int(r["label"]))
    return list(groups.values())


def load_groups(clef: str | Path, claimbuster: str | Path | None = None) -> list[Group]:
    """Return the CLEF debates and (optionally) the ClaimBuster sample as groups."""
    debates = load_debates(clef)
    groups = [Group(n, [t for t, _ in rows], [y for _, y in rows], "clef")
              for n, rows in debates.items()]
    if claimbuster:
        texts = (t for rows in debates.values() for t, _ in rows)
        groups += load_claimbuster(claimbuster, exclude=texts)
    return groups


def _analyzer(feats: list[str]) -> list[str]:
    return feats


def _design(groups: Sequence[Group], cache: dict | None = None):
    """Return (feature lists, labels, sources) of all sentences of `groups`."""
    docs: list[list[str]] = []
    labels: list[int] = []
    sources: list[str] = []
    for g in groups:
        feats = cache.get(g.name) if cache is not None else None
        if feats is None:
            feats = [[f for f in fs if f != "bias"] for fs in g.features()]
            if cache is not None:
                cache[g.name] = feats
        docs += feats
        labels += g.labels
        sources += [g.source] * len(g.labels)
    return docs, np.asarray(labels), np.asarray(sources)


def _sample_weights(labels: np.ndarray, sources: np.ndarray, cb_weight: float) -> np.ndarray:
    """Weigh ClaimBuster sentences by cb_weight, then balance positives against negatives."""
    w = np.where(sources == "claimbuster", cb_weight, 1.0).astype(np.float64)
    pos, neg = w[labels == 1].sum(), w[labels == 0].sum()
    if pos > 0 and neg > 0:
        w[labels == 1] *= neg / pos
    return w / w.mean()


def fit_model(groups: Sequence[Group], *, c: float = DEFAULTS["c"],
              cb_weight: float = DEFAULTS["cb_weight"], min_df: int = DEFAULTS["min_df"],
              cache: dict | None = None):
    """Fit the vectoriser and logistic regression; return (vectoriser, model)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    docs, labels, sources = _design(groups, cache)
    keep = np.ones(len(labels), dtype=bool) if cb_weight > 0 else sources != "claimbuster"
    docs = [d for d, k in zip(docs, keep, strict=True) if k]
    labels, sources = labels[keep], sources[keep]
    vec = CountVectorizer(analyzer=_analyzer, binary=True, min_df=min_df, lowercase=False)
    x = vec.fit_transform(docs)
    model = LogisticRegression(C=c, solver="liblinear", max_iter=1000)
    model.fit(x, labels, sample_weight=_sample_weights(labels, sources, cb_weight))
    return vec, model


def decision(vec, model, groups: Sequence[Group], cache: dict | None = None) -> np.ndarray:
    """Return the raw logits of every sentence of `groups`."""
    docs, _, _ = _design(groups, cache)
    return model.decision_function(vec.transform(docs))


def _folds(groups: Sequence[Group], k: int) -> list[list[int]]:
    """Split group indices into k folds, round robin in sorted name order (deterministic)."""
    order = sorted(range(len(groups)), key=lambda i: groups[i].name)
    return [order[i::k] for i in range(k)]


def platt(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Return (a, b) so that sigmoid(a * logit + b) is a calibrated probability."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels.tolist())) < 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=1e4, solver="lbfgs")
    lr.fit(logits.reshape(-1, 1), labels)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def best_threshold(probs: np.ndarray, labels: np.ndarray) -> float:
    """Return the probability threshold with the best F1 on held-out (probability, label)."""
    order = np.argsort(-probs)
    hits = np.cumsum(labels[order])
    precision = hits / np.arange(1, len(order) + 1)
    recall = hits / max(1, labels.sum())
    f1 = np.where(hits > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0)
    return float(probs[order][int(np.argmax(f1))])


def calibration(groups: Sequence[Group], params: dict, cache: dict | None = None,
                target: str = "claimbuster") -> tuple[float, float, float]:
    """Fit Platt scaling on out-of-fold logits of the `target` source's sentences; return
    (slope, intercept, the calibrated probability with the best F1 there).

    ClaimBuster's label ("a check-worthy factual claim") is what a desk triages, so by
    default the probabilities are calibrated on it; without it, on the CLEF debates.
    """
    if not any(g.source == target for g in groups):
        target = "clef"
    logits, labels = [], []
    for fold in _folds(groups, CALIBRATION_FOLDS):
        held = [groups[i] for i in fold if groups[i].source == target]
        if not held:
            continue
        train = [g for i, g in enumerate(groups) if i not in set(fold)]
        vec, model = fit_model(train, cache=cache, **params)
        logits.append(decision(vec, model, held, cache))
        labels.append(np.concatenate([g.labels for g in held]))
    z, y = np.concatenate(logits), np.concatenate(labels)
    a, b = platt(z, y)
    return a, b, best_threshold(1.0 / (1.0 + np.exp(-(a * z + b))), y)


def export(vec, model, scale: tuple[float, float] = (1.0, 0.0), *, digits: int = 4,
           floor: float = 5e-4) -> dict[str, float]:
    """Return {feature: calibrated weight}: coefficients times the Platt slope."""
    a, _ = scale
    names = vec.get_feature_names_out()
    coef = model.coef_[0] * a
    weights = {str(f): round(float(w), digits) for f, w in zip(names, coef, strict=True)
               if abs(w) >= floor and f != SOURCE_FEATURE}
    weights["bias"] = round(float(model.intercept_[0] * a), digits)
    return weights


def train_groups(groups: Sequence[Group], *, calibrate: bool = True,
                 cache: dict | None = None, **params) -> dict:
    """Train on groups and return a weights document (calibrated unless told not to)."""
    settings = {**DEFAULTS, **params}
    vec, model = fit_model(groups, cache=cache, **settings)
    a, b, threshold = calibration(groups, settings, cache) if calibrate else (1.0, 0.0, 0.5)
    scale = (a, b)
    return {
        "threshold": round(threshold, 2),
        "format": FORMAT,
        "model": "logistic regression (scikit-learn liblinear) over word n-grams, hand cues "
                 "and context cues; Platt-scaled on out-of-fold ClaimBuster scores",
        "offset": round(scale[1], 5),
        "platt": [round(scale[0], 5), round(scale[1], 5)],
        "params": settings,
        "trained_on": sorted({g.name if g.source == "clef" else "claimbuster-2.5ncs"
                              for g in groups}),
        "sentences": int(sum(len(g.labels) for g in groups)),
        "weights": export(vec, model, scale),
    }


def train(debates: dict[str, list[tuple[str, int]]], **params) -> dict:
    """Train on CLEF-style debates only ({name: [(text, label), ...]})."""
    groups = [Group(n, [t for t, _ in rows], [y for _, y in rows], "clef")
              for n, rows in debates.items()]
    return train_groups(groups, **params)


# -- retraining on a desk's own decisions ----------------------------------------------


def fit(docs: Sequence[Sequence[str]], labels: Sequence[int], *, vocab: Sequence[str],
        init: dict[str, float], l2: float = 0.05, pos_weight: float = 1.0,
        epochs: int = 100, lr: float = 0.02) -> dict[str, float]:
    """Fit weights to feature lists and 0/1 labels, regularised towards `init`.

    scikit-learn's models regularise towards zero, not towards a prior model, so this
    small full-batch Adam loop does the desk's nudge.
    """
    index = {f: i for i, f in enumerate(vocab)}
    rows, cols = [], []
    for i, feats in enumerate(docs):
        seen = {index[f] for f in feats if f in index}
        rows.extend([i] * len(seen))
        cols.extend(sorted(seen))
    rows_a, cols_a = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    n, d = len(docs), len(vocab)
    y = np.asarray(labels, dtype=np.float64)
    sample_w = np.where(y > 0, pos_weight, 1.0)
    sample_w /= sample_w.sum()
    prior = np.array([init.get(f, 0.0) for f in vocab])
    w = prior.copy()
    m = np.zeros(d)
    v = np.zeros(d)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        z = np.bincount(rows_a, weights=w[cols_a], minlength=n)
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        r = (p - y) * sample_w
        grad = np.bincount(cols_a, weights=r[rows_a], minlength=d) + l2 * (w - prior)
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return {f: round(float(x), 5) for f, x in zip(vocab, w, strict=True) if abs(x) >= 1e-4}


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
    weights = fit(docs, labels, vocab=vocab, init=base["weights"], l2=l2, epochs=epochs,
                  pos_weight=pos_weight)
    return {**base, "weights": weights, "retrained_on": base.get("retrained_on", 0) + len(labels)}


def recalibrate(doc: dict, logits: Sequence[float], labels: Sequence[int]) -> dict:
    """Platt-scale a weights document on (logit, label) pairs it did not train on."""
    a, b = platt(np.asarray(logits, dtype=np.float64), np.asarray(labels))
    if a <= 0:  # a ranking the decisions contradict: keep the scale it had
        return doc
    weights = {f: round(w * a, 5) for f, w in doc["weights"].items()}
    return {**doc, "weights": weights, "offset": round(doc.get("offset", 0.0) * a + b, 5),
            "recalibrated": [round(a, 5), round(b, 5)]}


def save(doc: dict, path: str | Path) -> None:
    """Write a weights document as compact, stable JSON."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(
        json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> None:
    """Train from CLEF TSV debates (and ClaimBuster) and write the weights file."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="folder of CLEF CheckThat! *.tsv debates")
    ap.add_argument("--claimbuster", default=None, help="claimbuster_2.5ncs.json")
    ap.add_argument("-o", "--output", required=True, help="weights JSON to write")
    ap.add_argument("--c", type=float, default=DEFAULTS["c"], help="inverse L2 strength")
    ap.add_argument("--cb-weight", type=float, default=DEFAULTS["cb_weight"])
    ap.add_argument("--min-df", type=int, default=DEFAULTS["min_df"])
    args = ap.parse_args(argv)
    groups = load_groups(args.data, args.claimbuster)
    doc = train_groups(groups, c=args.c, cb_weight=args.cb_weight, min_df=args.min_df)
    save(doc, args.output)
    print(f"wrote {len(doc['weights'])} weights to {args.output}")


if __name__ == "__main__":
    main()

"""Cross-corpus validation of the check-worthiness scorer (and nested CV by debate).

Cross-corpus (the default): folds of one corpus do not predict the score on new material,
so settings are chosen across corpora. Two directions: train on the CLEF-2019 training
debates and score the ClaimBuster sample; train on ClaimBuster and score the CLEF debates
(the lab's measures). Each setting of CROSS_GRID is reported in both directions; the one
with the best mean of the two MAPs is the shipped default. `--nested` also runs the
nested cross-validation by debate below.

    nice -n 10 .venv/bin/python bench/checkworthiness_cv.py [--nested] [--outer 5] [--inner 3]

Nested cross-validation, by debate:

Outer loop: the CLEF-2019 training debates are split into folds by debate; each outer
fold's debates are held out and never seen while choosing hyperparameters or training.
The ClaimBuster sample (minus every sentence that also occurs in a CLEF debate: the 2016
debates are in both) is split the same way, in blocks of nearby sentence ids, and its
blocks are held out alongside the debates.
Inner loop: on the remaining data (split again), every hyperparameter setting of the grid
is trained and scored; the criterion is the mean of CLEF MAP and ClaimBuster MAP on the
inner held-out parts. The best setting is retrained on all the outer-training data,
exported to the shipped JSON format, and the held-out debates are scored through
`annotator.extract.score.score_many` and the lab's measures from
../shared/tools/eval_checkworthiness.py. The figures reported are over all held-out
debates: a nested-CV estimate, not the score of the chosen setting on its own folds.

    nice -n 10 .venv/bin/python bench/checkworthiness_cv.py --nested [--select]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.extract import score, train  # noqa: E402

SHARED = ROOT / ".." / "shared"
DATA = SHARED / "data" / "checkworthiness" / "clef2019-task1-train"
CLAIMBUSTER = SHARED / "data" / "checkworthiness" / "claimbuster-2.5ncs" / "claimbuster_2.5ncs.json"
GRID = {"c": [0.1, 0.3], "cb_weight": [1.0, 2.0]}
CROSS_GRID = {"c": [0.01, 0.03, 0.1, 0.3], "min_df": [2, 3, 5]}


def _evaluator():
    """Import the lab's evaluate() from the shared tool by path."""
    spec = importlib.util.spec_from_file_location(
        "eval_checkworthiness", SHARED / "tools" / "eval_checkworthiness.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _gold(groups) -> dict:
    return {g.name: [{"line": i, "speaker": "", "text": t, "label": y}
                     for i, (t, y) in enumerate(zip(g.texts, g.labels, strict=True))]
            for g in groups}


def _folds(groups, k: int) -> list[list]:
    """Split CLEF debates and ClaimBuster blocks into k folds each, then pair them up."""
    out = []
    for source in ("clef", "claimbuster"):
        part = [g for g in groups if g.source == source]
        for i, fold in enumerate(train._folds(part, k) if part else []):
            if len(out) <= i:
                out.append([])
            out[i] += [part[j] for j in fold]
    return out


def _measure(ev, held, scores) -> dict:
    """Return the lab's measures on the held-out CLEF debates and MAP on ClaimBuster blocks."""
    clef = [g for g in held if g.source == "clef"]
    cb = [g for g in held if g.source == "claimbuster"]
    res = ev.evaluate(_gold(clef), {g.name: scores[g.name] for g in clef}) if clef else {}
    if cb:
        res["CB-MAP"] = ev.evaluate(_gold(cb), {g.name: scores[g.name] for g in cb})["MAP"]
    return res


def criterion(res: dict) -> float:
    """The selection criterion: CLEF MAP and ClaimBuster MAP, equally weighted."""
    return (res["MAP"] + res["CB-MAP"]) / 2 if "CB-MAP" in res else res["MAP"]


def _inner(ev, train_groups, held, params, cache) -> dict:
    vec, model = train.fit_model(train_groups, cache=cache, **params)
    logits = train.decision(vec, model, held, cache)
    scores, pos = {}, 0
    for g in held:
        scores[g.name] = logits[pos : pos + len(g.labels)].tolist()
        pos += len(g.labels)
    return _measure(ev, held, scores)


def select(ev, groups, k: int, settings, cache) -> tuple[dict, float]:
    """Return the setting with the best mean criterion over k folds of `groups`."""
    results = []
    for params in settings:
        values = []
        for held in _folds(groups, k):
            names = {g.name for g in held}
            rest = [g for g in groups if g.name not in names]
            values.append(criterion(_inner(ev, rest, held, params, cache)))
        results.append((float(np.mean(values)), params))
    best_value, best = max(results, key=lambda r: r[0])
    return best, best_value


def nested(groups, outer: int, inner: int, grid: dict) -> tuple[dict, list]:
    """Return the measures over the outer held-out folds and each fold's choice."""
    ev = _evaluator()
    cache: dict = {}
    settings = [dict(zip(grid, values, strict=True))
                for values in itertools.product(*grid.values())]
    scores: dict[str, list[float]] = {}
    chosen = []
    for k, held in enumerate(_folds(groups, outer)):
        names = {g.name for g in held}
        rest = [g for g in groups if g.name not in names]
        best, inner_value = select(ev, rest, inner, settings, cache)
        doc = train.train_groups(rest, calibrate=False, cache=cache, **best)
        for g in held:
            context = g.source == "clef"
            scores[g.name] = ([s.score for s in score.score_many(g.texts, doc)] if context
                              else [score.sigmoid(z) for z in score.logits_alone(g.texts, doc)])
        res = _measure(ev, held, scores)
        chosen.append((k, best, inner_value, res))
        print(f"outer fold {k}: chose {best} (inner criterion {inner_value:.4f}); held out: "
              f"CLEF MAP {res['MAP']:.4f}, P@10 {res['P@10']:.3f}, "
              f"ClaimBuster MAP {res.get('CB-MAP', float('nan')):.4f}", flush=True)
    return _measure(ev, groups, scores), chosen


def _scores(vec, model, groups, cache) -> dict[str, list[float]]:
    logits = train.decision(vec, model, groups, cache)
    out, pos = {}, 0
    for g in groups:
        out[g.name] = logits[pos : pos + len(g.labels)].tolist()
        pos += len(g.labels)
    return out


def cross_corpus(groups, grid: dict) -> list[tuple[dict, dict, dict]]:
    """Return, for each setting, (setting, CLEF -> ClaimBuster, ClaimBuster -> CLEF)."""
    ev = _evaluator()
    cache: dict = {}
    clef = [g for g in groups if g.source == "clef"]
    cb = [g for g in groups if g.source == "claimbuster"]
    rows = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        vec, model = train.fit_model(clef, cache=cache, **params)
        to_cb = ev.evaluate(_gold(cb), _scores(vec, model, cb, cache))
        vec, model = train.fit_model(cb, cache=cache, **params)
        to_clef = ev.evaluate(_gold(clef), _scores(vec, model, clef, cache))
        rows.append((params, to_cb, to_clef))
        print(f"  {params}: CLEF -> ClaimBuster MAP {to_cb['MAP']:.4f} P@10 "
              f"{to_cb['P@10']:.3f} | ClaimBuster -> CLEF MAP {to_clef['MAP']:.4f} P@10 "
              f"{to_clef['P@10']:.3f} R-Prec {to_clef['R-Prec']:.4f} | mean MAP "
              f"{(to_cb['MAP'] + to_clef['MAP']) / 2:.4f}", flush=True)
    return rows


def main() -> None:
    """Run the nested cross-validation and print the measures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--claimbuster", default=str(CLAIMBUSTER), help="'' to leave it out")
    ap.add_argument("--outer", type=int, default=5)
    ap.add_argument("--inner", type=int, default=3)
    ap.add_argument("--select", action="store_true",
                    help="also choose the shipped hyperparameters on all the data")
    ap.add_argument("--nested", action="store_true", help="also run nested CV by debate")
    args = ap.parse_args()
    t0 = time.perf_counter()
    groups = train.load_groups(args.data, args.claimbuster or None)
    print(f"cross-corpus: train on one corpus, score the other (grid {CROSS_GRID}; "
          f"shipped defaults {train.DEFAULTS})")
    rows = cross_corpus(groups, CROSS_GRID)
    best = max(rows, key=lambda r: r[1]["MAP"] + r[2]["MAP"])
    print(f"best by mean cross-corpus MAP: {best[0]} -> CLEF -> ClaimBuster MAP "
          f"{best[1]['MAP']:.4f}, ClaimBuster -> CLEF MAP {best[2]['MAP']:.4f} "
          f"({time.perf_counter() - t0:.0f}s)")
    if not args.nested:
        return
    res, _ = nested(groups, args.outer, args.inner, GRID)
    print(f"nested CV by debate: {args.outer} outer x {args.inner} inner folds, grid {GRID}, "
          f"{time.perf_counter() - t0:.0f}s")
    print("CLEF-2019 training debates, each scored once, by a model that never saw it:")
    for key, value in res.items():
        print(f"  {key:8s} {value:.4f}" if isinstance(value, float) else f"  {key:8s} {value}")
    if args.select:
        settings = [dict(zip(GRID, values, strict=True))
                    for values in itertools.product(*GRID.values())]
        best, value = select(_evaluator(), groups, args.inner, settings, {})
        print(f"selection on all the data ({args.inner} folds): {best}, criterion {value:.4f}"
              " -> the defaults in annotator/extract/train.py")


if __name__ == "__main__":
    main()

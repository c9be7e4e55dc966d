"""Cross-validate the check-worthiness scorer by leaving debates out.

For each fold, train on the other debates, write the weights to a temporary file,
point ANNOTATOR_SCORER_WEIGHTS at it, score the held-out debates with `score_texts`,
and evaluate them with the lab's measures from ../shared/tools/eval_checkworthiness.py.

    .venv/bin/python bench/checkworthiness_cv.py [--folds 5] [--data DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.extract import score_texts  # noqa: E402
from annotator.extract.score import ENV_VAR  # noqa: E402
from annotator.extract.train import DEFAULTS, load_debates, save, train  # noqa: E402

SHARED = ROOT / ".." / "shared"
DATA = SHARED / "data" / "checkworthiness" / "clef2019-task1-train"


def _evaluator():
    """Import the lab's evaluate() from the shared tool by path."""
    spec = importlib.util.spec_from_file_location(
        "eval_checkworthiness", SHARED / "tools" / "eval_checkworthiness.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def cross_validate(data: Path, folds: int, **params) -> dict:
    """Return the lab's measures over all held-out debates."""
    ev = _evaluator()
    gold = ev.load_debates(data)
    debates = load_debates(data)
    names = sorted(debates)
    k = len(names) if folds <= 0 else folds
    scores: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(k):
            held = names[i::k]
            doc = train({n: debates[n] for n in names if n not in held}, **params)
            path = Path(tmp) / f"fold{i}.json"
            save(doc, path)
            os.environ[ENV_VAR] = str(path)
            try:
                for n in held:
                    scores[n] = score_texts([r["text"] for r in gold[n]])
            finally:
                del os.environ[ENV_VAR]
    return ev.evaluate(gold, scores)


def main() -> None:
    """Run the cross-validation and print the measures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument("--folds", type=int, default=5, help="0 = leave one debate out")
    for key, value in DEFAULTS.items():
        ap.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    args = ap.parse_args()
    params = {key: getattr(args, key) for key in DEFAULTS}
    t0 = time.perf_counter()
    res = cross_validate(Path(args.data), args.folds, **params)
    label = "leave-one-debate-out" if args.folds <= 0 else f"{args.folds}-fold by debate"
    print(f"{label}, params {params}, {time.perf_counter() - t0:.1f}s")
    for key, value in res.items():
        print(f"{key:8s} {value:.4f}" if isinstance(value, float) else f"{key:8s} {value}")


if __name__ == "__main__":
    main()

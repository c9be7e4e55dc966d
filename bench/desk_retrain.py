"""Simulate a desk learning from its own decisions, and measure the gain on unseen debates.

The CLEF 2019 training debates are split three ways, in rotation:
- A: the scorer's base training (stands in for the shipped weights);
- B: the desk's work: each debate is imported as an article, every line a claim; the
  fact-checkers' labels stand in for the desk's decisions (label 1: a claim a person kept
  or added; label 0: a machine proposal the desk dismissed);
- C: held out, never seen by either.
The desk's decisions go through the real path (services.learning.decisions and
extract.train.retrain), and MAP / P@10 on C is compared before and after retraining.

    .venv/bin/python bench/desk_retrain.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checkworthiness_cv import DATA, _evaluator  # noqa: E402

from annotator import migrate  # noqa: E402
from annotator.db import get_engine, session_scope  # noqa: E402
from annotator.extract import score, train  # noqa: E402
from annotator.models import Article, Claim, User  # noqa: E402
from annotator.services import learning  # noqa: E402


def _desk_examples(debates: dict[str, list[tuple[str, int]]]) -> list[tuple[str, int]]:
    """Record the desk's decisions in a real database and read them back as the service does."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/desk.db"
        migrate.upgrade(url)
        with session_scope(get_engine(url)) as s:
            user = User(username="desk", role="editor", password_hash="-")
            s.add(user)
            s.flush()
            for n, (name, rows) in enumerate(debates.items()):
                body = "\n\n".join(text for text, _ in rows)
                article = Article(title=name, body=body, raw=body, content_hash=f"h{n}",
                                  created_by_id=user.id)
                s.add(article)
                s.flush()
                pos = 0
                for text, label in rows:
                    s.add(Claim(article_id=article.id, start=pos, end=pos + len(text),
                                quote=text, statement=text,
                                origin="person" if label else "machine",
                                state="open" if label else "dismissed"))
                    pos += len(text) + 2
            s.flush()
            examples = [(quote, label) for _, quote, label in learning.decisions(s)]
        get_engine(url).dispose()
    return examples


def _measure(evaluator, debates, doc) -> dict:
    scores = {name: [s.score for s in score.score_many([t for t, _ in rows], doc)]
              for name, rows in debates.items()}
    lab = {name: [{"line": i, "speaker": "", "text": t, "label": y}
                  for i, (t, y) in enumerate(rows)] for name, rows in debates.items()}
    return evaluator.evaluate(lab, scores)


def main() -> None:
    evaluator = _evaluator()
    debates = train.load_debates(DATA)
    names = sorted(debates)
    folds = 3
    rows = []
    for k in range(folds):
        held = [n for i, n in enumerate(names) if i % folds == k]
        desk = [n for i, n in enumerate(names) if i % folds == (k + 1) % folds]
        base_names = [n for n in names if n not in held and n not in desk]
        t0 = time.perf_counter()
        base = train.train({n: debates[n] for n in base_names}, calibrate=False)
        examples = _desk_examples({n: debates[n] for n in desk})
        desk_doc = train.retrain(base, examples)
        test = {n: debates[n] for n in held}
        before, after = _measure(evaluator, test, base), _measure(evaluator, test, desk_doc)
        rows.append((k, len(base_names), len(examples), before, after,
                     time.perf_counter() - t0))
    print(f"{'fold':>4} {'base debates':>12} {'desk decisions':>14} {'MAP before':>10} "
          f"{'MAP after':>9} {'P@10 before':>11} {'P@10 after':>10}")
    for k, nb, ne, before, after, _ in rows:
        print(f"{k:>4} {nb:>12} {ne:>14} {before['MAP']:>10.4f} {after['MAP']:>9.4f} "
              f"{before['P@10']:>11.3f} {after['P@10']:>10.3f}")
    mb = sum(r[3]["MAP"] for r in rows) / folds
    ma = sum(r[4]["MAP"] for r in rows) / folds
    print(f"mean MAP before {mb:.4f}, after {ma:.4f}, gain {ma - mb:+.4f}")


if __name__ == "__main__":
    main()

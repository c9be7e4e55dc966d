"""Measure the statements `annotator extract` proposes on the shared article pages.

    .venv/bin/python bench/extraction.py [DIR] [--command "annotator extract"] [--show N]

DIR (default ../shared/data/article-extraction) holds html/<key>.html.gz and
ground-truth.json with each page's URL. Each page runs through `annotator extract FILE
--jsonl` as a subprocess (ARTICLE_URL set, as eval_extraction.py does), and the proposals
are checked against the issue's targets:

- statements starting with he/she/they/it/this/that/these/those/his/her/their/its/there/
  we/I/you (flagged or not): at most 1 %;
- invented contractions (a name or noun glued to ’d/’ll/’ve/’re, "Manchin’d"): none;
- statements keeping a relative time (yesterday, today, tomorrow, last/this/next week,
  month or year, on Monday ... Sunday) when the page's date is known: at most 2 %;
- claimants starting with a pronoun or a lower-case word or longer than 8 words: at
  most 0.5 %.

It also reports the seconds per page (start-up included), the slowest page, and how many
proposals carry rewrite steps and needs-context questions.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from annotator.extract.page import read_page  # noqa: E402 - the repo's own package

DEFAULT_DIR = ROOT.parent / "shared" / "data" / "article-extraction"
def _words(text: str) -> list[str]:
    return text.split()


STARTS = frozenset(_words(
    "he she they it this that these those his her their its there we i you"
))
# A contraction the text never had: a capitalised name or a noun before ’d/’ll/’ve/’re.
INVENTED = re.compile(r"\b(?!(?:I|You|We|They|He|She|It|That|There|Who|What)\b)"
                      r"[A-Z][\w-]+['’](?:d|ll|ve|re)\b")
RELATIVE = re.compile(
    r"\b(?:yesterday|today|tomorrow|(?:last|this|next)\s+(?:week|month|year)|"
    r"on\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b",
    re.IGNORECASE,
)
PRONOUNS = frozenset(_words(
    "he she they it we i you his her their its our my this that these those there him them"
))


def first_word(text: str) -> str:
    m = re.match(r"[\W_]*([\w’']+)", text)
    return re.sub(r"['’].*$", "", m.group(1)) if m else ""


def bad_claimant(name: str) -> bool:
    if not name:
        return False
    words = name.split()
    first = first_word(name)
    return len(words) > 8 or first.lower() in PRONOUNS or not first[:1].isupper()


def invented(quote: str, statement: str) -> list[str]:
    """Return contractions in the statement that its quote does not have."""
    return [m.group() for m in INVENTED.finditer(statement) if m.group() not in quote]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", type=Path, nargs="?", default=DEFAULT_DIR)
    ap.add_argument("--command", default=str(ROOT / ".venv" / "bin" / "annotator") + " extract")
    ap.add_argument("--show", type=int, default=5, help="print N examples of each miss")
    a = ap.parse_args()
    truth = json.loads((a.dir / "ground-truth.json").read_text(encoding="utf-8"))
    cmd = shlex.split(a.command)
    rows, times, cpu, failed = [], [], [], 0
    dated = 0
    with tempfile.TemporaryDirectory() as tmp:
        for key in sorted(truth):
            page = Path(tmp) / f"{key}.html"
            page.write_bytes(gzip.decompress((a.dir / "html" / f"{key}.html.gz").read_bytes()))
            env = dict(os.environ, ARTICLE_URL=truth[key].get("url") or "")
            t0 = time.perf_counter()
            c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            run = subprocess.run([*cmd, str(page), "--jsonl"], capture_output=True, env=env,
                                 timeout=120)
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            times.append((time.perf_counter() - t0, key))
            cpu.append(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime)
            if run.returncode:
                failed += 1
                print(f"failed: {key[:16]} {run.stderr.decode()[-200:]}", file=sys.stderr)
                continue
            props = [json.loads(line) for line in run.stdout.decode().splitlines() if line]
            html = page.read_text(encoding="utf-8", errors="replace")
            has_date = read_page(html, truth[key].get("url"), page.name)[1]["published"] is not None
            dated += has_date
            rows += [(key, has_date, p) for p in props]
    n = len(rows) or 1
    pron = [p for _, _, p in rows if first_word(p["statement"]).lower() in STARTS]
    inv = [(p, invented(p["quote"], p["statement"])) for _, _, p in rows]
    inv = [(p, found) for p, found in inv if found]
    dated_rows = [p for _, d, p in rows if d]
    rel = [p for p in dated_rows if RELATIVE.search(p["statement"])]
    bad = [p for _, _, p in rows if bad_claimant(p.get("claimant", ""))]
    steps = sum(bool(p.get("rewrite")) for _, _, p in rows)
    questions = sum(bool(p.get("needs_context")) for _, _, p in rows)
    times.sort()
    print(f"pages {len(truth)} (dated {dated})  failed {failed}  proposals {len(rows)}")
    print(f"  statements starting with a pronoun/there: {len(pron)} "
          f"({100 * len(pron) / n:.2f} %, target <= 1 %)")
    print(f"  invented contractions: {len(inv)} (target 0)")
    print(f"  keeping a relative time, date known: {len(rel)} of {len(dated_rows)} "
          f"({100 * len(rel) / max(1, len(dated_rows)):.2f} %, target <= 2 %)")
    print(f"  claimants pronoun/lower-case/>8 words: {len(bad)} "
          f"({100 * len(bad) / n:.2f} %, target <= 0.5 %)")
    print(f"  with rewrite steps: {steps}; with needs_context: {questions}")
    print(f"  seconds a page (start-up included): median {times[len(times) // 2][0]:.2f}, "
          f"max {times[-1][0]:.2f} ({times[-1][1][:16]}); CPU seconds a page: median "
          f"{sorted(cpu)[len(cpu) // 2]:.2f}, max {max(cpu):.2f}")
    for label, items in (("pronoun", [p["statement"] for p in pron]),
                         ("invented", [f"{f}: {p['statement']}" for p, f in inv]),
                         ("relative", [p["statement"] for p in rel]),
                         ("claimant", [p["claimant"] for p in bad])):
        for text in items[: a.show]:
            print(f"    {label}: {text[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

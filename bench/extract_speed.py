"""Measure extraction speed: end to end, our segmenter alone, and pySBD as the reference.

End to end is what an import does: clean, split, score, attribute and build statements.

Builds a few MB of text by repeating the shared article and the CLEF debate sentences, then
prints MB/s for each stage and the shared article's single-extraction time.

    .venv/bin/python bench/extract_speed.py [--mb 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.extract import clean_text, extract_claims, split_sentences  # noqa: E402

SHARED = ROOT / ".." / "shared"
ARTICLE = SHARED / "articles" / "kazakh-conscriptions.txt"
DEBATES = SHARED / "data" / "checkworthiness" / "clef2019-task1-train"


def corpus(megabytes: float) -> str:
    """Return about `megabytes` MB of raw text: article copies and debate paragraphs."""
    article = ARTICLE.read_text(encoding="utf-8")
    debate_lines = []
    for f in sorted(DEBATES.glob("*.tsv")):
        debate_lines += [line.split("\t")[2] for line in f.read_text("utf-8").splitlines() if line]
    paragraphs = [" ".join(debate_lines[i : i + 6]) for i in range(0, len(debate_lines), 6)]
    debates = "\n\n".join(paragraphs)
    parts, size, target = [], 0, int(megabytes * 1_000_000)
    while size < target:
        for piece in (article, debates):
            parts.append(piece)
            size += len(piece.encode("utf-8"))
    return "\n\n".join(parts)


def timed(fn, *args, repeat: int = 1, **kwargs):
    """Return (best seconds, result) over `repeat` runs.

    The machine is shared, so the time is this process's CPU time (time.process_time):
    wall-clock time would also count the other processes' turns on the CPU. The wall
    time is printed beside it (see `wall`).
    """
    best, result = float("inf"), None
    for _ in range(repeat):
        t0, w0 = time.process_time(), time.perf_counter()
        result = fn(*args, **kwargs)
        spent = time.process_time() - t0
        if spent < best:
            best = spent
            wall[fn] = time.perf_counter() - w0
    return best, result


wall: dict = {}


def end_to_end(raw: str):
    """Clean, split, score and extract, as the app does on import."""
    cleaned = clean_text(raw)
    return extract_claims(cleaned.text, captions=cleaned.captions)


def main() -> None:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=3.0)
    ap.add_argument("--no-pysbd", action="store_true")
    args = ap.parse_args()
    raw = corpus(args.mb)
    mb = len(raw.encode("utf-8")) / 1_000_000
    article = ARTICLE.read_text(encoding="utf-8")
    t0 = time.perf_counter()
    end_to_end(article)  # first call loads the language model and weights
    cold = time.perf_counter() - t0
    warm, claims = timed(end_to_end, article, repeat=20)
    rows = [("shared article, first call (loads models)", f"{cold * 1000:.1f} ms", "")]
    rows.append(("shared article, warm", f"{warm * 1000:.1f} ms", f"{len(claims)} candidates"))
    secs, claims = timed(end_to_end, raw, repeat=2)
    rows.append(("end to end (clean+split+score+claims)", f"{mb / secs:.2f} MB/s",
                 f"{secs:.2f} s CPU, {wall[end_to_end]:.2f} s wall"))
    text = clean_text(raw).text
    secs, sents = timed(split_sentences, text, repeat=3)
    rows.append(("our segmenter alone", f"{mb / secs:.2f} MB/s", f"{len(sents)} sentences"))
    if not args.no_pysbd:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pysbd

        seg = pysbd.Segmenter(language="en", clean=False, char_span=False)
        # pySBD slows down badly on one huge string, so give it paragraphs, as in use.
        paragraphs = [p for p in text[: len(text) // 3].split("\n\n") if p.strip()]
        sub_mb = sum(len(p.encode("utf-8")) for p in paragraphs) / 1_000_000
        secs, out = timed(lambda: [s for p in paragraphs for s in seg.segment(p)])
        rows.append(
            ("pySBD, paragraph by paragraph (reference)", f"{sub_mb / secs:.2f} MB/s",
             f"{len(out)} sentences in {sub_mb:.2f} MB")
        )  # fmt: skip
        secs, ours = timed(lambda: [s for p in paragraphs for s in split_sentences(p)])
        rows.append(
            ("our segmenter, same paragraphs", f"{sub_mb / secs:.2f} MB/s", f"{len(ours)} sents")
        )  # fmt: skip
    load = os.getloadavg()
    print(f"corpus: {mb:.2f} MB ({len(raw):,} chars), {len(claims):,} candidates end to end")
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / "
          f"{load[2]:.1f} (shared); MB/s are per CPU second of this process")
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    main()

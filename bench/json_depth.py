"""How long the desk takes to read or refuse hostile JSON bodies (issue 19: a 5 MB body of
nested brackets refused in under 50 ms).

    .venv/bin/python bench/json_depth.py

Each body goes through the app's JSON reader (``web.limits.DepthLimitedJSON.loads``), as a
request's body does: parsed, then measured level by level; refused (a 400 in a request) when
it nests deeper than 64 levels or is no JSON. The 4 MB paste is the load benchmark's.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from flask import Flask

from annotator.web.limits import DepthLimitedJSON

MB = 1024 * 1024
ARTICLE = Path(__file__).resolve().parent.parent.parent / "shared" / "articles" \
    / "kazakh-conscriptions.txt"


def bodies() -> dict[str, bytes]:
    found = {
        "5 MB of [": b"[" * (5 * MB),
        "5 MB of {\"a\": nesting": b'{"a":' * MB,
        "5 MB balanced [[..]] (2.5 M deep)": b"[" * (5 * MB // 2) + b"]" * (5 * MB // 2),
        "5 MB of [] pairs (no JSON)": b"[]" * (5 * MB // 2),
        "5 MB of strings holding brackets": b'["' + b"[" * (5 * MB) + b'"]',
        "5 MB alternating [ and \"": b'["' * (5 * MB // 2),
        "5 MB wide: [[], [], ...] (read)": b"[" + b"[]," * (5 * MB // 3) + b"[]]",
        "5 MB wide: numbers (read)": b"[" + b"1," * (5 * MB // 2) + b"1]",
    }
    if ARTICLE.exists():
        unit = ARTICLE.read_text(encoding="utf-8") + "\n\n"
        text = (unit * (4 * MB // len(unit) + 1))[:4 * MB]
        found["4 MB pasted article (read)"] = json.dumps({"text": text, "title": "A"}).encode()
    return found


def main() -> None:
    reader = DepthLimitedJSON(Flask(__name__))
    worst_refused = 0.0
    for name, body in bodies().items():
        times, outcome = [], ""
        for _ in range(5):
            start = time.perf_counter()
            try:
                reader.loads(body)
                outcome = "read"
            except ValueError as exc:
                outcome = f"refused: {str(exc)[:40]}"
            times.append(time.perf_counter() - start)
        median = statistics.median(times) * 1000
        if outcome != "read":
            worst_refused = max(worst_refused, median)
        print(f"{name:36s} {outcome:50s} median {median:6.1f} ms")
    print(f"worst median of the refused: {worst_refused:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()

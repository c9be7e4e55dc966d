"""How long the JSON depth check takes on hostile bodies (issue 19: under 50 ms at 5 MB).

    .venv/bin/python bench/json_depth.py
"""

from __future__ import annotations

import statistics
import time

from annotator.sanitize import json_too_deep

MB = 1024 * 1024
BODIES = {
    "5 MB of [": b"[" * (5 * MB),
    "5 MB of {\"a\": nesting": b'{"a":' * (MB),
    "5 MB balanced [[..]] (2.5 M deep)": b"[" * (5 * MB // 2) + b"]" * (5 * MB // 2),
    "5 MB of [] pairs (shallow)": b"[]" * (5 * MB // 2),
    "5 MB of strings holding brackets": b'["' + b"[" * (5 * MB) + b'"]',
    "5 MB alternating [ and \"": b'["' * (5 * MB // 2),
}


def main() -> None:
    worst = 0.0
    for name, body in BODIES.items():
        times = []
        for _ in range(5):
            start = time.perf_counter()
            deep = json_too_deep(body)
            times.append(time.perf_counter() - start)
        median = statistics.median(times) * 1000
        worst = max(worst, median)
        print(f"{name:40s} too deep={deep!s:5s} median {median:6.1f} ms")
    print(f"worst median: {worst:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()

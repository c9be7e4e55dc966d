"""Where the server's CPU goes, request by request: a gunicorn config, and its report.

As a config, it logs each request's method, path, CPU time of the thread that handled it and
wall time, one JSON line each, to the file named by ``REQUEST_CPU_LOG``::

    REQUEST_CPU_LOG=/tmp/cpu.jsonl GUNICORN_CMD_ARGS="-c bench/request_cpu.py" \\
        .venv/bin/python bench/load.py --db postgres --bursts --timeline /tmp/tl.json

(``bench/load.py`` starts gunicorn with the environment it has, so the variables reach it.)
As a script, it sums that log by route, and, given the run's timeline, over the first
``--landing`` seconds of each burst::

    .venv/bin/python bench/request_cpu.py /tmp/cpu.jsonl --timeline /tmp/tl.json

The CPU time is the handling thread's own (``time.thread_time``): reading the request body
and the database driver's work count; time spent waiting for the database, or for the
interpreter lock while other threads run, does not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

_started = threading.local()
_log = None


def pre_request(worker, req):  # gunicorn's hook
    _started.cpu, _started.wall = time.thread_time(), time.perf_counter()


def post_request(worker, req, environ, resp):  # gunicorn's hook
    global _log
    if _log is None:  # opened in the worker process (append mode: the workers share it)
        _log = open(os.environ["REQUEST_CPU_LOG"], "a", buffering=1)  # noqa: SIM115
    cpu = (time.thread_time() - _started.cpu) * 1000
    wall = (time.perf_counter() - _started.wall) * 1000
    _log.write(json.dumps([req.method, req.path, round(cpu, 2), round(wall, 2),
                           time.monotonic()]) + "\n")


def route(method: str, path: str) -> str:
    return f"{method} {re.sub(r'/[0-9]+', '/N', path)}"


def report(rows: list, windows: list, landing: float) -> None:
    by_route: dict[str, list] = defaultdict(list)
    landed: dict[str, float] = defaultdict(float)
    for method, path, cpu, wall, ended in rows:
        by_route[route(method, path)].append((cpu, wall))
        began = ended - wall / 1000
        if any(a <= began <= a + landing for a, _ in windows):
            landed[route(method, path)] += cpu
    print(f"{'route':40} {'n':>6} {'CPU s':>7} {'CPU p50':>8} {'mean':>6} {'wall p50':>9} "
          f"{'p99':>6} (ms)")
    for name, seen in sorted(by_route.items(), key=lambda kv: -sum(c for c, _ in kv[1])):
        cpu = sorted(c for c, _ in seen)
        wall = sorted(w for _, w in seen)
        print(f"{name:40} {len(seen):6} {sum(cpu) / 1000:7.1f} {cpu[len(cpu) // 2]:8.1f} "
              f"{sum(cpu) / len(cpu):6.1f} {wall[len(wall) // 2]:9.1f} "
              f"{wall[min(len(wall) - 1, int(len(wall) * 0.99))]:6.1f}")
    if windows:
        print(f"\nCPU of the requests begun in the first {landing} s of a burst, per burst (ms):")
        for name, total in sorted(landed.items(), key=lambda kv: -kv[1]):
            print(f"  {name:40} {total / len(windows):7.0f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--timeline", type=Path, help="bench/load.py --timeline's file")
    parser.add_argument("--landing", type=float, default=0.6)
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.log.read_text().splitlines() if line.strip()]
    windows = json.loads(args.timeline.read_text())["windows"] if args.timeline else []
    report(rows, windows, args.landing)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""SQLite writers behind a storm of short writes: the writers' queue against SQLite's own wait.

    .venv/bin/python bench/writers.py [--seconds 20] [--no-turns]

Three processes of seven threads each make storms of short write transactions through the
app's engine (each thread three transactions of an INSERT, 2 ms of work and a read, as a
counted sign-in attempt does; then 0.3 s of quiet), while a fourth process makes one such
write every 20 ms and times it. Printed: that writer's p50, p99 and slowest write (ms).
`--no-turns` leaves the writers' queue out (``WriterTurns.take`` does nothing), so SQLite's
busy handler alone decides who writes next, as before issue 19's queue.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THREADS, PROCESSES, WRITES_EACH, HOLD, QUIET, EVERY = 7, 3, 3, 0.002, 0.3, 0.02


def _engine(url: str, turns: bool):
    from annotator import engine as engine_module

    if not turns:
        engine_module.WriterTurns.take = lambda self, info: None
    return engine_module.get_engine(url)


def _write(engine) -> None:
    from annotator.engine import session_scope

    with session_scope(engine) as session:
        connection = session.connection()
        connection.exec_driver_sql("INSERT INTO t (who) VALUES ('storm')")
        time.sleep(HOLD)  # the Python work a real transaction does between its statements
        connection.exec_driver_sql("SELECT count(*) FROM t WHERE id > "
                                   "(SELECT max(id) - 50 FROM t)").all()


def storm(url: str, turns: bool, stop) -> None:
    engine = _engine(url, turns)

    def burst() -> None:
        for _ in range(WRITES_EACH):
            _write(engine)

    while not stop.is_set():
        threads = [threading.Thread(target=burst) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(QUIET)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-turns", action="store_true")
    args = parser.parse_args(argv)
    turns = not args.no_turns
    with tempfile.TemporaryDirectory(prefix="annotator-writers-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'writers.db'}"
        engine = _engine(url, turns)
        with engine.begin() as setup:
            setup.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)")
        spawn = multiprocessing.get_context("spawn")
        stop = spawn.Event()
        storms = [spawn.Process(target=storm, args=(url, turns, stop))
                  for _ in range(PROCESSES)]
        for process in storms:
            process.start()
        times = []
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            began = time.perf_counter()
            _write(engine)
            times.append((time.perf_counter() - began) * 1000)
            time.sleep(EVERY)
        stop.set()
        for process in storms:
            process.join(60)
        engine.dispose()
    times.sort()
    print(f"{'SQLite wait only' if args.no_turns else 'writers queue'}: {len(times)} writes, "
          f"p50 {times[len(times) // 2]:.1f} ms, p99 {times[int(len(times) * 0.99)]:.1f} ms, "
          f"slowest {times[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

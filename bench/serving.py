"""Serve an app with gunicorn on 127.0.0.1 for a benchmark (bench/load.py, bench/scale.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


@contextlib.contextmanager
def gunicorn(app: str, log: Path, *, env: dict | None = None, workers: int = 2,
             threads: int = 1, options: tuple[str, ...] = (), nice: int = 0,
             probe: str = "/", settle: float = 0.0, chdir: Path = ROOT,
             timeout: int = 60) -> Iterator[tuple[str, int]]:
    """Serve `app` in its own process group; yield (base URL, gunicorn's pid).

    `probe` is fetched until it answers; `settle` then waits for every worker to finish
    importing the app before the clock starts.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [str(GUNICORN), "-w", str(workers), "--threads", str(threads),
               "-b", f"127.0.0.1:{port}", "--timeout", str(timeout), "--chdir", str(chdir),
               *options, app]
    if nice:
        command = ["nice", "-n", str(nice), *command]  # nice execs: the pid is gunicorn's
    with log.open("a") as out:
        proc = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start:\n" + log.read_text()[-3000:])
            with contextlib.suppress(requests.RequestException):
                requests.get(base + probe, timeout=30)
                break
            time.sleep(0.2)
        time.sleep(settle)
        yield base, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

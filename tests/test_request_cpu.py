"""bench/request_cpu.py: the per-request CPU log kept by gunicorn's hooks, and its report."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("request_cpu", ROOT / "bench" / "request_cpu.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hooks_log_each_requests_route_and_its_threads_cpu(tmp_path, monkeypatch):
    module = _module()
    log = tmp_path / "cpu.jsonl"
    monkeypatch.setenv("REQUEST_CPU_LOG", str(log))
    req = SimpleNamespace(method="POST", path="/claims/12/notes")
    module.pre_request(None, req)
    began = time.thread_time()
    while time.thread_time() - began < 0.02:  # 20 ms of this thread's CPU
        pass
    module.post_request(None, req, {}, None)
    module._log.close()  # a worker keeps it open until it exits
    method, path, cpu, wall, ended = json.loads(log.read_text())
    assert (method, path) == ("POST", "/claims/12/notes")
    assert 20 <= cpu <= wall
    assert ended <= time.monotonic()


def test_the_report_sums_by_route_and_over_each_bursts_landing(capsys):
    module = _module()
    rows = [["POST", "/claims/1/notes", 30.0, 50.0, 100.05],  # begun at 100.0: landed
            ["POST", "/claims/2/notes", 10.0, 20.0, 105.02],  # begun 5 s into the burst
            ["POST", "/account/password", 12.0, 40.0, 100.3]]
    module.report(rows, [(100.0, 110.0)], landing=0.6)
    out = capsys.readouterr().out
    notes = next(line for line in out.splitlines() if line.startswith("POST /claims/N/notes"))
    assert notes.split()[2] == "2" and notes.split()[5] == "20.0"  # two, 20 ms each on average
    landing = out.split("first 0.6 s of a burst")[1].splitlines()[1:]
    assert [line.split() for line in landing] == [
        ["POST", "/claims/N/notes", "30"], ["POST", "/account/password", "12"]]

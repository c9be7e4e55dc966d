"""annotator/priority.py: slow work on threads of lower CPU priority."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import pytest

from annotator import priority
from annotator.priority import (
    LowPriorityPool,
    autogroup_enabled,
    group_niceness,
    lower_group_priority,
    lower_thread_priority,
    thread_niceness,
)


def _lower(by: int) -> int:
    return min(19, thread_niceness() + by)


def test_work_runs_on_a_thread_at_the_pools_niceness_and_the_caller_keeps_its_own():
    ours = thread_niceness()
    pool = LowPriorityPool(2, _lower(5), "test-low")
    niceness, thread = pool.run(lambda: (thread_niceness(), threading.get_native_id()))
    assert niceness == _lower(5)
    assert thread != threading.get_native_id()
    assert thread_niceness() == ours


def test_the_callers_answer_and_exception_come_back():
    pool = LowPriorityPool(1, _lower(1), "test-low")
    assert pool.run(pow, 2, 10) == 1024
    with pytest.raises(ZeroDivisionError):
        pool.run(lambda: 1 / 0)


def test_at_most_size_calls_run_at_once():
    pool = LowPriorityPool(3, _lower(1), "test-low")
    running, most, lock = [0], [0], threading.Lock()
    release = threading.Event()
    arrived = threading.Semaphore(0)

    def work():
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        arrived.release()
        release.wait(30)
        with lock:
            running[0] -= 1

    callers = [threading.Thread(target=pool.run, args=(work,)) for _ in range(8)]
    for c in callers:
        c.start()
    for _ in range(3):  # the first three are in; the others wait for a thread
        assert arrived.acquire(timeout=30)
    waiting = pool._executor()._work_queue  # the other five wait there, not running
    deadline = time.monotonic() + 30
    while waiting.qsize() < 5 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert waiting.qsize() == 5 and running[0] == 3
    release.set()
    for c in callers:
        c.join(30)
    assert most[0] == 3


def test_a_thread_never_raises_its_priority_back():
    ours = thread_niceness()
    seen = []

    def body():
        lower_thread_priority(_lower(4))
        lower_thread_priority(ours)  # asks for more priority: ignored
        seen.append(thread_niceness())

    t = threading.Thread(target=body)
    t.start()
    t.join(30)
    assert seen == [_lower(4)]


def _in_child(pool: LowPriorityPool, answer) -> None:
    answer.send(pool.run(thread_niceness))


def test_a_forked_worker_gets_threads_of_its_own():
    """gunicorn forks its workers: a pool used before the fork still works in the child."""
    pool = LowPriorityPool(1, _lower(3), "test-low")
    pool.run(thread_niceness)  # the parent's thread exists before the fork
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=_in_child, args=(pool, theirs))
    child.start()
    assert mine.poll(30), "the child's call never came back"
    assert mine.recv() == _lower(3)
    child.join(30)
    assert child.exitcode == 0


# A queue worker started by a supervisor leads a session of its own: its CPU group.

_GROUP_PROBE = """
import json, sys
from annotator.priority import group_niceness, lower_group_priority
before = group_niceness()
lowered = lower_group_priority(int(sys.argv[1]))
again = lower_group_priority(int(sys.argv[2]))
print(json.dumps([before, lowered, again, group_niceness()]))
"""


def _probe_group(first: int, second: int, own_session: bool) -> list:
    out = subprocess.run([sys.executable, "-c", _GROUP_PROBE, str(first), str(second)],
                         capture_output=True, text=True, check=True, timeout=60,
                         start_new_session=own_session)
    return json.loads(out.stdout)


def test_a_process_leading_its_own_session_lowers_its_groups_priority_and_never_raises_it():
    # Whether this process has a group says nothing here: one started from init's session
    # (CI's runner) sits in the root group, whose file reads empty, yet a new session still
    # gets a group of its own. The kernel's switch decides.
    if not autogroup_enabled():  # nothing to lower
        assert _probe_group(10, 3, own_session=True) == [None, False, False, None]
        return
    before, lowered, again, after = _probe_group(10, 3, own_session=True)
    assert (before, lowered) == (0, True)
    assert (again, after) == (False, 10)  # asking for 3 afterwards would raise it: refused


def test_a_process_in_someone_elses_session_leaves_that_sessions_group_alone():
    ours = group_niceness()
    before, lowered, again, after = _probe_group(10, 12, own_session=False)
    assert (lowered, again) == (False, False)
    assert before == after == ours == group_niceness()


@pytest.fixture
def fake_proc(tmp_path, monkeypatch):
    """Stand-ins for the kernel's autogroup files, for a process that leads its session."""
    monkeypatch.setattr(priority, "AUTOGROUP_ENABLED", tmp_path / "enabled")
    monkeypatch.setattr(priority, "AUTOGROUP", tmp_path / "autogroup")
    monkeypatch.setattr(os, "getsid", lambda pid: os.getpid())

    def make(enabled: str, autogroup: str | None) -> None:
        (tmp_path / "enabled").write_text(enabled)
        if autogroup is not None:  # None: a kernel built without it has no such file
            (tmp_path / "autogroup").write_text(autogroup)

    return make


@pytest.mark.parametrize("enabled, autogroup", [
    ("0\n", "/autogroup-9 nice 0\n"),  # autogroup switched off
    ("1\n", ""),  # the root group (init's session, as CI's runner): the file reads empty
    ("1\n", None),  # a kernel built without it: no file
])
def test_without_autogroup_there_is_no_group_to_lower_and_nothing_is_written(
        fake_proc, tmp_path, enabled, autogroup):
    fake_proc(enabled, autogroup)
    assert group_niceness() is None
    assert lower_group_priority(10) is False
    assert (tmp_path / "autogroup").exists() is (autogroup is not None)
    if autogroup is not None:
        assert (tmp_path / "autogroup").read_text() == autogroup  # left as it was


def test_with_autogroup_a_session_leader_writes_its_groups_niceness(fake_proc, tmp_path):
    fake_proc("1\n", "/autogroup-9 nice 0\n")
    assert group_niceness() == 0
    # The kernel's file takes a bare number; this stand-in then reads back as just that.
    assert lower_group_priority(10) is True
    assert (tmp_path / "autogroup").read_text() == "10"
    assert lower_group_priority(3) is False  # lower than 10 would raise it: refused
    assert (tmp_path / "autogroup").read_text() == "10"

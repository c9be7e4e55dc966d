"""CPU priority for slow work: the web's requests first, then hashing, jobs and polling.

Linux gives each thread its own niceness, and the scheduler weighs the runnable threads of
one CPU group (a session's autogroup, or a systemd cgroup) against each other: twenty
password checks (Argon2 runs each on four lanes) at the web's priority take the cores from
the reviewers' saves. Slow work therefore runs on threads that have lowered their own
priority. Other groups (a database server started as a service of its own) are not ranked by
niceness: against them a group gets its fair share, whatever its threads' niceness. A thread
can lower its priority but, unprivileged, never raise it back, so the work goes to a pool of
such threads instead of lowering the caller's.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def lower_thread_priority(niceness: int) -> None:
    """Lower the calling thread's CPU priority to ``niceness`` (never raise it; Linux)."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    thread = threading.get_native_id()  # on Linux, niceness belongs to each thread
    if os.getpriority(os.PRIO_PROCESS, thread) < niceness:
        os.setpriority(os.PRIO_PROCESS, thread, niceness)


def thread_niceness() -> int:
    """The calling thread's niceness (the process's where threads have none of their own)."""
    if not hasattr(os, "getpriority"):
        return 0
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


class LowPriorityPool:
    """At most `size` calls at once, each on a thread at niceness `niceness`.

    The pool's threads start on first use, in the process that uses it: a gunicorn worker
    forked from a parent that had used it gets threads of its own.
    """

    def __init__(self, size: int, niceness: int, name: str):
        self.size, self.niceness, self.name = size, niceness, name
        self._lock = threading.Lock()
        self._pool: tuple[int, ThreadPoolExecutor] | None = None

    def _executor(self) -> ThreadPoolExecutor:
        pid = os.getpid()
        with self._lock:
            if self._pool is None or self._pool[0] != pid:
                self._pool = (pid, ThreadPoolExecutor(
                    max_workers=self.size, thread_name_prefix=self.name,
                    initializer=lower_thread_priority, initargs=(self.niceness,)))
            return self._pool[1]

    def run(self, fn: Callable[..., T], *args) -> T:
        """Run fn(*args) on one of the pool's threads; wait for it; return or raise as it did."""
        return self._executor().submit(fn, *args).result()

"""CPU priority for slow work: the web's requests first, then hashing, jobs and polling.

Linux gives each thread its own niceness, and the scheduler weighs the runnable threads of
one CPU group (a session's autogroup, or a systemd cgroup) against each other: twenty
password checks (Argon2 runs each on four lanes) at the web's priority take the cores from
the reviewers' saves. Slow work therefore runs on threads that have lowered their own
priority. Other groups (a database server started as a service of its own) are not ranked by
niceness: against them a group gets its fair share, whatever its threads' niceness. A thread
can lower its priority but, unprivileged, never raise it back, so the work goes to a pool of
such threads instead of lowering the caller's.

A queue worker is a process of its own, usually started by a supervisor in a session of its
own (systemd starts each service so): there its niceness ranks it only against itself, and
on a kernel that groups CPU time by session it competes with the web server's group as an
equal. ``lower_group_priority`` lowers the weight of such a group too.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def lower_thread_priority(niceness: int) -> None:
    """Lower the calling thread's CPU priority to ``niceness`` (never raise it; Linux)."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    thread = threading.get_native_id()  # on Linux, niceness belongs to each thread
    if os.getpriority(os.PRIO_PROCESS, thread) < niceness:
        os.setpriority(os.PRIO_PROCESS, thread, niceness)


AUTOGROUP = Path("/proc/self/autogroup")
AUTOGROUP_ENABLED = Path("/proc/sys/kernel/sched_autogroup_enabled")


def autogroup_enabled() -> bool:
    """The kernel gives each new session a CPU group of its own (Linux's autogroup)."""
    try:
        return AUTOGROUP_ENABLED.read_text().strip() == "1"
    except OSError:  # a kernel built without it, or not Linux
        return False


def group_niceness() -> int | None:
    """The niceness of this process's CPU group (its session's autogroup), None without one.

    None too for a process in init's session that never started one of its own: it sits in
    the root group, whose file reads empty, though a new session would get a group.
    """
    if not autogroup_enabled():
        return None
    try:
        return int(AUTOGROUP.read_text().split()[-1])  # "/autogroup-85 nice 0"
    except (OSError, ValueError, IndexError):
        return None


def lower_group_priority(niceness: int) -> bool:
    """Lower this process's CPU group to ``niceness`` if the group is its own; say if it did.

    Linux with autogroup shares CPU time between sessions first, and only then between the
    threads of a session by their niceness. A process that leads its own session (a worker
    started by systemd or supervisord, ``setsid``) is weighed against the web server's session
    as an equal whatever its own niceness, unless its group's niceness is lowered as well. A
    process in someone else's session (started from a shell, or by ``make run`` beside the
    server) leaves that session's group alone: its own niceness already ranks it there. Never
    raises a group's priority; does nothing without autogroup (under a systemd unit whose
    cgroup has the CPU controller, its ``CPUWeight=`` is the knob).
    """
    if niceness <= 0 or not hasattr(os, "getsid") or os.getsid(0) != os.getpid():
        return False
    current = group_niceness()
    if current is None or current >= niceness:
        return False
    try:
        AUTOGROUP.write_text(str(niceness))
    except OSError:
        return False
    return group_niceness() == niceness


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

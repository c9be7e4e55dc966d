"""The job queue: one huey instance, the decorators that register tasks, and enqueueing.

The queue carries the work; the database stays the source of truth for everything the UI
shows (a Job row's state, progress, result and file). The queue's own messages live in a
SQLite file in the instance folder (``QUEUE_FILE``, default ``instance/queue.sqlite3``), or
in Redis when ``REDIS_URL`` is set (a team deployment); ``QUEUE_NAME`` (default
``annotator``) keeps two desks (or test runs) sharing one Redis apart.
``annotator worker`` runs a consumer.

How a module registers and starts work (the layer that owns the work registers it; this
module imports no service, so any service may import it without an import circle)::

    from annotator import tasks

    @tasks.task()
    def poll_feed(feed_id: int) -> None:
        rt = tasks.runtime()            # rt.engine, rt.settings (the worker's settings)
        with session_scope(rt.engine) as session:
            ...

    @tasks.periodic_task(tasks.crontab(minute="*/15"))
    def poll_due_feeds() -> None:       # runs in workers started without --no-periodic
        ...

    # From a service holding a Session: enqueue once that session commits (nothing is
    # enqueued if it rolls back), so the worker finds the rows the task reads.
    tasks.after_commit(session, poll_feed, feed.id)
    # When nothing is left uncommitted (a view after its commit, a periodic task):
    tasks.enqueue(poll_feed, feed.id)
    tasks.enqueue(poll_feed, feed.id, delay=30)    # not before 30 s from now

Task arguments are pickled into the queue: pass ids and plain values, never rows. A task
may run twice (a worker killed mid-task is replaced, a message may be re-sent): make it
idempotent, e.g. by claiming its Job row (see ``annotator.services.jobs``).

The worker imports every module of ``annotator.services`` (``load_task_modules``) so all
their tasks are registered; a module elsewhere is listed in ``TASK_MODULES``.

Unit tests run huey's immediate mode (``QUEUE_IMMEDIATE=1``): a task runs inline, when it is
enqueued, with the runtime of the code that enqueued it (``use``). Integration tests run a
real consumer (``annotator worker``) against SQLite and Redis.
"""

from __future__ import annotations

import contextvars
import importlib
import logging
import os
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator import config

__all__ = ["Runtime", "after_commit", "bind", "crontab", "enqueue", "huey", "load_task_modules",
           "on_startup", "periodic_task", "queue_description", "runtime", "task", "use"]

log = logging.getLogger(__name__)

QUEUE_NAME = "annotator"
# Modules outside annotator.services that declare tasks (the worker imports them).
TASK_MODULES: list[str] = []


def _queue_settings(settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    env = settings if settings is not None else os.environ
    folder = config.instance_path()
    immediate = env.get("QUEUE_IMMEDIATE")
    return {"name": env.get("QUEUE_NAME") or QUEUE_NAME,
            "redis_url": env.get("REDIS_URL") or "",
            "file": str(env.get("QUEUE_FILE") or folder / "queue.sqlite3"),
            "immediate": None if immediate is None
            else str(immediate).lower() in {"1", "true", "yes"}}


def _storage_kwargs(found: dict[str, Any]) -> tuple[type, dict[str, Any]]:
    if found["redis_url"]:
        return RedisHuey.storage_class, {"url": found["redis_url"]}
    Path(found["file"]).parent.mkdir(parents=True, exist_ok=True)
    # A short busy timeout: the queue file is written by the web and every worker.
    return SqliteHuey.storage_class, {"filename": found["file"], "timeout": 30}


def _make_huey() -> Huey:
    found = _queue_settings()
    storage_class, kwargs = _storage_kwargs(found)
    # results=False: the Job row holds what a job produced; huey keeps no result store.
    return Huey(found["name"], results=False, utc=True, immediate=bool(found["immediate"]),
                storage_class=storage_class, **kwargs)


huey: Huey = _make_huey()


def configure(settings: Mapping[str, Any] | None = None) -> str:
    """Point the queue at REDIS_URL or QUEUE_FILE from these settings (default: environment).

    The app factory and the worker call it with their settings. Registered tasks stay
    registered; only where messages are kept changes (immediate mode changes only when
    QUEUE_IMMEDIATE is among the settings). Returns ``queue_description()``.
    """
    found = _queue_settings(settings)
    storage_class, kwargs = _storage_kwargs(found)
    changed = ((found["name"], storage_class, kwargs)
               != (huey.name, huey.storage_class, huey.storage_kwargs))
    huey.name, huey.storage_class, huey.storage_kwargs = found["name"], storage_class, kwargs
    if found["immediate"] is not None and found["immediate"] != huey.immediate:
        huey.immediate = found["immediate"]  # recreates the storage
    elif changed and not huey.immediate:
        huey.storage = huey.create_storage()
    return queue_description()


def queue_description() -> str:
    """Say where the queue's messages are kept (for the worker's first log line)."""
    if huey.immediate:
        return "immediate (tasks run inline; tests only)"
    kwargs = huey.storage_kwargs
    if "url" in kwargs:
        parts = urlsplit(kwargs["url"])
        host = parts.hostname or "localhost"
        return f"Redis {parts.scheme}://{host}:{parts.port or 6379}{parts.path}"
    return f"SQLite {kwargs.get('filename')}"


# --- Registering tasks --------------------------------------------------------------------

def task(**options) -> Callable[[Callable], TaskWrapper]:
    """Register a function as a task (huey's options: retries, retry_delay, priority...).

    The task is named after its module and function, so names never collide.
    """
    def decorator(func: Callable) -> TaskWrapper:
        return huey.task(name=_name(func), **options)(func)
    return decorator


def periodic_task(when, **options) -> Callable[[Callable], TaskWrapper]:
    """Register a function to run on a schedule (``crontab(...)``) in periodic workers."""
    def decorator(func: Callable) -> TaskWrapper:
        return huey.periodic_task(when, name=_name(func), **options)(func)
    return decorator


def on_startup(func: Callable[[], None]) -> Callable[[], None]:
    """Run a function when each worker starts (e.g. take up jobs a dead worker left)."""
    huey.on_startup(_name(func))(func)
    return func


def _name(func: Callable) -> str:
    return f"{func.__module__.replace('.', '_')}__{func.__name__}"


def load_task_modules() -> list[str]:
    """Import every module that may declare tasks (all of annotator.services, TASK_MODULES)."""
    # By name: the queue imports no layer (an import-linter contract), the worker loads them.
    services = importlib.import_module("annotator.services")
    names = [f"annotator.services.{m.name}" for m in pkgutil.iter_modules(services.__path__)]
    names += TASK_MODULES
    for name in names:
        importlib.import_module(name)
    return names


# --- Where a task finds its database and settings -----------------------------------------

@dataclass
class Runtime:
    """What a running task needs: the database engine and the settings dictionary."""

    engine: Engine
    settings: Mapping[str, Any] = field(default_factory=dict)


_default: Runtime | None = None
_current: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "annotator_task_runtime", default=None)


def bind(engine: Engine, settings: Mapping[str, Any]) -> None:
    """Set the process's runtime (the worker does this once, from its settings)."""
    global _default
    _default = Runtime(engine, settings)


def use(engine: Engine, settings: Mapping[str, Any]) -> None:
    """Set the runtime of the current context (each web request: for immediate mode)."""
    _current.set(Runtime(engine, settings))


def bound_settings() -> Mapping[str, Any]:
    """The settings of the runtime bound now (the worker's, a request's), else none."""
    found = _current.get() or _default
    return found.settings if found is not None else {}


def runtime() -> Runtime:
    """Return the runtime a task runs with: the context's, the process's, else built from
    the settings (``annotator.config.load()``) once."""
    found = _current.get() or _default
    if found is None:
        from annotator.engine import get_engine

        settings = config.load()
        bind(get_engine(settings["DATABASE_URL"]), settings)
        found = _default
    return found


# --- Enqueueing ---------------------------------------------------------------------------

def enqueue(fn: TaskWrapper, *args, delay: float | None = None, **kwargs) -> None:
    """Send a task to the queue now (or to run after `delay` seconds)."""
    if delay:
        fn.schedule(args=args, kwargs=kwargs, delay=delay)
    else:
        fn(*args, **kwargs)


_PENDING = "annotator_tasks_after_commit"


def after_commit(session: Session, fn: TaskWrapper, *args, **kwargs) -> None:
    """Enqueue a task once `session` commits; nothing is sent if it rolls back."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _send_pending)
        event.listen(session, "after_rollback", _drop_pending)
    pending.append((fn, args, kwargs))


def _send_pending(session: Session) -> None:
    pending, session.info[_PENDING] = session.info.get(_PENDING) or [], []
    if not pending:
        return
    if huey.immediate:
        # Inline runs (tests) use the committing session's database.
        engine = session.info.get("read_engine") or session.get_bind()
        found = _current.get()
        if found is None or found.engine.url != engine.url:
            use(engine, {})
    for fn, args, kwargs in pending:
        try:
            enqueue(fn, *args, **kwargs)
        except Exception:  # the commit stands; the periodic sweep sends what was missed
            log.exception("could not enqueue %s after commit", fn.name)


def _drop_pending(session: Session) -> None:
    if session.info.get(_PENDING):
        session.info[_PENDING] = []

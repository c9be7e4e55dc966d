"""Background jobs (exports, JSON imports, fact-check loads) recorded in the database.

A job is a Job row (status, done, total) and its data in JobChunk rows: an export writes its
output there in CHUNK_BYTES pieces, an import keeps its uploaded file there. Any app server
can show the progress and stream the file back, whichever server ran the work.

The work runs on the queue (``annotator.tasks``): the view commits the row, then enqueues
``run_job(job_id)``; a worker (``annotator worker``) claims the row and does it. The Job row
stays the source of truth: a worker writes a heartbeat on it every few seconds, and a running
job whose heartbeat stops (its worker was killed or its machine lost) is queued again by
``requeue_stale`` (each worker looks when it starts, then every STALE_SECONDS / 2), up to
MAX_ATTEMPTS times. Every job is
idempotent: each take has its own attempt number, and only the current attempt may write
(an export's chunks, an import's single transaction), so a file is never half served and an
import never lands twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from annotator import review, tasks
from annotator.engine import new_session, session_scope
from annotator.exports import FORMATS, ExportFilter, filename, run_export
from annotator.exports.formats import expected_claims
from annotator.models import Job, JobChunk, User, utcnow
from annotator.presenters import iso
from annotator.services.errors import Forbidden, Invalid, NotFound, ServiceError

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
PROGRESS_EVERY = 1000  # claims between progress writes
FINISHED = ("done", "failed")
STATES = ("queued", "running", "done", "failed")
# A running job whose worker has not written its heartbeat for this long lost its worker: it
# is queued again (JOB_STALE_SECONDS, JOB_HEARTBEAT_SECONDS in the settings). Every worker
# looks for such jobs when it starts and then every STALE_SECONDS / 2.
STALE_SECONDS = 30
HEARTBEAT_SECONDS = 5
# A job whose worker died this many times is failed rather than taken up again.
MAX_ATTEMPTS = 3
# A job still queued after this long is sent to the queue again (its message may be lost).
RESEND_QUEUED_SECONDS = 600
# Finished jobs (and their files) older than this are pruned every night (JOB_KEEP_DAYS).
KEEP_DAYS = 30


class Superseded(Exception):
    """This take of a job is no longer the current one: another worker took it up."""


def create_export_job(session: Session, user: User, fmt: str, filters: ExportFilter) -> Job:
    """Record a queued export job; the caller commits, then calls ``start``."""
    if fmt not in FORMATS:
        raise Invalid(f"Choose a format: {', '.join(FORMATS)}.")
    job = Job(kind="export", format=fmt, params=filters.as_params(), created_by_id=user.id,
              filename=filename(FORMATS[fmt], filters))
    session.add(job)
    session.flush()
    return job


def create_import_job(session: Session, user: User, name: str, data: bytes) -> Job:
    """Record a queued JSON import job with its uploaded file kept in chunks."""
    if not data:
        raise Invalid("Choose an export file (.json) to import.")
    return store_upload(session, user, "json", name, data, total=len(data))


def store_upload(session: Session, user: User, fmt: str, name: str, data: bytes,
                 total: int = 0) -> Job:
    """Record a queued import job of this format, its uploaded file kept in chunks."""
    job = Job(kind="import", format=fmt, params={"upload": name[:200]},
              created_by_id=user.id, filename=name[:200], total=total)
    session.add(job)
    session.flush()
    for seq, start in enumerate(range(0, len(data), CHUNK_BYTES)):
        session.add(JobChunk(job_id=job.id, seq=seq, data=data[start:start + CHUNK_BYTES]))
    session.flush()
    return job


def create_retrain_job(session: Session, user: User) -> Job:
    """Record a queued retraining of the desk's scorer (refused at once when it cannot run)."""
    from annotator.services import learning

    if not user.active or not review.may(user.role, "admin"):
        raise Forbidden("Only an admin can retrain the desk's scorer.")
    found = learning.decision_count(session)
    if found < learning.MIN_EXAMPLES:
        raise Invalid(f"Retraining needs at least {learning.MIN_EXAMPLES} decisions; the desk "
                      f"has {found} so far.")
    job = Job(kind="retrain", format="", params={}, created_by_id=user.id, total=found)
    session.add(job)
    session.flush()
    return job


def run_retrain_job(engine: Engine, job_id: int, attempt: int | None = None) -> None:
    """Retrain the scorer and mark the job done in one transaction (as `annotator retrain`)."""
    from annotator.services import learning

    try:
        with session_scope(engine) as session:
            job = session.get(Job, job_id)
            actor = session.get(User, job.created_by_id) if job.created_by_id else None
            report = learning.retrain_desk(session, actor)
            _set(session, job_id, attempt, {
                "status": "done", "done": report.examples, "total": report.examples,
                "result": {"examples": report.examples, "positives": report.positives,
                           "held_out": report.held_out, "ap_before": report.ap_before,
                           "ap_after": report.ap_after}})
    except Superseded:
        log.warning("retrain job %s: this take was superseded; nothing of it was kept", job_id)
    except Exception as exc:
        if not isinstance(exc, ServiceError):
            log.exception("retrain job %s failed", job_id)
        _fail(engine, job_id, attempt, failure_sentence("retraining", exc))


def read_upload(session: Session, job_id: int) -> bytes:
    """Return an import job's uploaded file, joined from its chunks."""
    return b"".join(session.get(JobChunk, (job_id, seq)).data
                    for seq in range(chunk_count(session, job_id)))


def get_job(session: Session, user: User, job_id: int) -> Job:
    """Return a job its creator (or an editor) may see."""
    job = session.get(Job, job_id)
    if job is None or (job.created_by_id != user.id
                       and not review.role_at_least(user.role, review.EDITOR)):
        raise NotFound("No such job.")
    return job


def waiting_for_worker(job: Job, stale_seconds: float = STALE_SECONDS) -> bool:
    """Tell whether no worker is doing this job now: queued, or its worker went silent."""
    if job.status == "queued":
        return True
    return job.status == "running" and _stale(job, stale_seconds)


def _stale(job: Job, stale_seconds: float) -> bool:
    beat = job.heartbeat_at or job.updated_at
    if beat.tzinfo is None:
        beat = beat.replace(tzinfo=utcnow().tzinfo)
    return utcnow() - beat > timedelta(seconds=stale_seconds)


def job_document(job: Job, download: str | None) -> dict[str, Any]:
    """A job's JSON (API, the job page's twin, the job.finished webhook); `download` is the
    file's address once an export is done (the caller knows its face's route)."""
    return {"id": job.id, "kind": job.kind, "format": job.format, "state": job.status,
            "status": job.status, "done": job.done, "total": job.total, "error": job.error,
            "result": job.result, "attempts": job.attempts,
            "waiting_for_worker": waiting_for_worker(job),
            "download": download if job.kind == "export" and job.status == "done" else None,
            "created_at": iso(job.created_at), "updated_at": iso(job.updated_at)}


def recent_jobs(session: Session, user: User, limit: int = 10) -> list[Job]:
    """Return the user's latest jobs, newest first."""
    return list(session.exec(select(Job).where(Job.created_by_id == user.id)
                             .order_by(Job.id.desc()).limit(limit)).all())


def chunk_count(session: Session, job_id: int) -> int:
    return session.exec(select(func.count()).where(JobChunk.job_id == job_id)).one()


def iter_output(engine: Engine, job_id: int) -> Iterator[bytes]:
    """Yield a finished export's file, one stored chunk at a time (its own session)."""
    session = new_session(engine)
    try:
        for seq in range(chunk_count(session, job_id)):
            chunk = session.get(JobChunk, (job_id, seq))
            if chunk is None:
                return
            yield chunk.data
            session.expunge(chunk)
    finally:
        session.close()


def _current(job_id: int, attempt: int | None):
    """The condition that this take (`attempt`) is still the job's current, running one."""
    if attempt is None:
        return Job.id == job_id
    return and_(Job.id == job_id, Job.attempts == attempt, Job.status == "running")


def update_job(engine: Engine, job_id: int, attempt: int | None = None, **values) -> None:
    """Set a job's fields in a short transaction of its own (progress, status, result).

    With `attempt`, only that take of the job may write: a superseded one raises Superseded.
    A job reaching done or failed sends the job.finished webhook.
    """
    with session_scope(engine) as session:
        _set(session, job_id, attempt, values)


def _set(session: Session, job_id: int, attempt: int | None, values: dict) -> None:
    values = {**values, "updated_at": utcnow()}
    if values.get("status") == "running" or attempt is not None:
        values.setdefault("heartbeat_at", values["updated_at"])
    found = session.execute(update(Job).where(_current(job_id, attempt)).values(**values)
                            .execution_options(synchronize_session=False))
    if found.rowcount != 1:
        raise Superseded(f"job {job_id} was taken up again by another worker")
    if values.get("status") in FINISHED:
        from annotator.services import webhooks

        job = session.get(Job, job_id)
        session.refresh(job)
        webhooks.emit(session, "job.finished", job_document(job, _download_path(job)))


def _download_path(job: Job) -> str:
    """The file's address for the job.finished webhook: absolute under PUBLIC_BASE_URL."""
    base = str(tasks.bound_settings().get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}/jobs/{job.id}/download"


def _write_chunk(engine: Engine, job_id: int, seq: int, data: bytes, done: int,
                 attempt: int | None = None) -> None:
    """Store one piece of the file, only while this take is the job's current one: the
    guarded UPDATE comes first, so the check and the write are one step for other takes."""
    with session_scope(engine) as session:
        now = utcnow()
        found = session.execute(update(Job).where(_current(job_id, attempt))
                                .values(updated_at=now, heartbeat_at=now)
                                .execution_options(synchronize_session=False))
        if found.rowcount != 1:
            raise Superseded(f"job {job_id} was taken up again by another worker")
        session.execute(update(Job).where(Job.id == job_id, Job.done < done).values(done=done)
                        .execution_options(synchronize_session=False))
        session.add(JobChunk(job_id=job_id, seq=seq, data=data))


def run_export_job(engine: Engine, job_id: int, *, base_url: str, desk_name: str,
                   attempt: int | None = None) -> None:
    """Do an export job: stream the export into chunks, recording progress as it goes.

    The chunks are served only once the job is done (as a file written to a temporary name
    and renamed when complete); a new take first removes what an earlier one left.
    """
    read = new_session(engine)
    try:
        job = read.get(Job, job_id)
        fmt, filters = FORMATS[job.format], ExportFilter.from_params(job.params)
        read.rollback()
        with session_scope(engine) as session:
            session.exec(delete(JobChunk).where(JobChunk.job_id == job_id))
            _set(session, job_id, attempt, {"status": "running", "done": 0})
        total = expected_claims(read, fmt, filters)
        update_job(engine, job_id, attempt, total=total)
        state = {"done": 0, "written": 0}

        def progress(done: int) -> None:
            state["done"] = done
            if done - state["written"] >= PROGRESS_EVERY:
                update_job(engine, job_id, attempt, done=done)
                state["written"] = done

        buffer = bytearray()
        seq = size = 0
        for text in run_export(read, fmt.name, filters, base_url=base_url,
                               desk_name=desk_name, progress=progress):
            buffer += text.encode("utf-8")
            while len(buffer) >= CHUNK_BYTES:
                _write_chunk(engine, job_id, seq, bytes(buffer[:CHUNK_BYTES]), state["done"],
                             attempt)
                del buffer[:CHUNK_BYTES]
                seq, size = seq + 1, size + CHUNK_BYTES
        if buffer or seq == 0:
            _write_chunk(engine, job_id, seq, bytes(buffer), state["done"], attempt)
            seq, size = seq + 1, size + len(buffer)
        update_job(engine, job_id, attempt, status="done", done=total,
                   result={"bytes": size, "chunks": seq, "claims": state["done"]})
    except Superseded:
        log.warning("export job %s: this take was superseded; stopping", job_id)
    except Exception as exc:  # the job records what went wrong; the worker goes on
        log.exception("export job %s failed", job_id)
        _fail(engine, job_id, attempt, failure_sentence("export", exc))
    finally:
        read.close()


def run_import_job(engine: Engine, job_id: int, attempt: int | None = None, fmt: str = "json",
                   settings: Mapping[str, Any] | None = None) -> None:
    """Do an import job: load the upload with its format's importer in one transaction.

    The job is marked done in that same transaction, and only if this take is still the
    current one: a take that was superseded rolls back, so the import never lands twice.
    What the format does after a committed import (``importer(after=...)``) runs then.
    """
    try:
        with session_scope(engine, write=False) as session:
            job = session.get(Job, job_id)
            actor = session.get(User, job.created_by_id) if job.created_by_id else None
            data = read_upload(session, job_id)
            actor_id = actor.id if actor else None
        update_job(engine, job_id, attempt, status="running")
        with session_scope(engine) as session:
            actor = session.get(User, actor_id) if actor_id else None
            report = _IMPORTERS[fmt](session, data, actor=actor)
            _set(session, job_id, attempt, {
                "status": "done", "done": len(data),
                "result": {"summary": report.summary(),
                           "article_ids": sorted(report.article_ids.values())}})
        if fmt in _AFTER_IMPORT:
            try:  # the import is in and its job done: what follows cannot undo that
                _AFTER_IMPORT[fmt](engine, report, settings or {})
            except Exception:
                log.exception("import job %s: the work after the import failed", job_id)
    except Superseded:
        log.warning("import job %s: this take was superseded; nothing of it was kept", job_id)
    except ServiceError as exc:
        _fail(engine, job_id, attempt, exc.message[:2000])
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        _fail(engine, job_id, attempt, failure_sentence("import", exc))


def _fail(engine: Engine, job_id: int, attempt: int | None, error: str) -> None:
    try:
        update_job(engine, job_id, attempt, status="failed", error=error)
    except Superseded:
        log.warning("job %s: a superseded take failed (%s)", job_id, error)


def failure_sentence(kind: str, exc: Exception) -> str:
    """Say what went wrong in words for the job page; never SQL, parameters or a trace."""
    if isinstance(exc, ServiceError):
        return exc.message[:2000]
    return (f"The {kind} failed because of an unexpected error ({type(exc).__name__}); "
            "nothing of it was kept. The server's log has the details for an admin.")


def prune(session: Session, older_than: timedelta) -> int:
    """Delete finished jobs (and their files) last touched before `older_than` ago."""
    cutoff = utcnow() - older_than
    ids = list(session.exec(select(Job.id).where(Job.status.in_(FINISHED),
                                                 Job.updated_at < cutoff)).all())
    if ids:
        session.exec(delete(JobChunk).where(JobChunk.job_id.in_(ids)))
        session.exec(delete(Job).where(Job.id.in_(ids)))
    return len(ids)


def run_mark_job(engine: Engine, article_id: int) -> int:
    """Mark an imported article's claims "checked before?"; return how many are marked.

    Runs after the import has committed: matching reads in one session (no lock held while
    the matcher works), the marks are written in a short second transaction. Running it
    again replaces the marks: it is idempotent.
    """
    from annotator.services import marks

    try:
        with session_scope(engine, write=False) as session:
            found = marks.compute(session, article_id)
        with session_scope(engine) as session:
            return marks.store(session, found)
    except Exception:  # a task must not die silently; the page simply shows no marks
        log.exception("checked-before marks for article %s failed", article_id)
        return 0


def mark_after_import(engine: Engine, article_id: int, enabled: bool = True) -> None:
    """Queue `run_mark_job` for a committed import (unless the desk turned it off)."""
    if enabled:
        tasks.enqueue(mark_task, article_id)


# -- the queue's side: claiming, heartbeats, taking up what a dead worker left ---------------


def _setting(settings: Mapping[str, Any], name: str, default: float) -> float:
    value = settings.get(name)
    return float(value) if value not in (None, "") else default


def enqueue_job(job_id: int) -> None:
    """Send a committed job to the queue (the view calls this after its commit)."""
    tasks.enqueue(run_job, job_id)


def claim(engine: Engine, job_id: int, stale_seconds: float = STALE_SECONDS) -> int | None:
    """Take a queued job (or a running one whose worker went silent) for this worker.

    Returns this take's attempt number, or None when the job is finished, gone or being
    done by a live worker (a duplicate message): one conditional UPDATE decides.
    """
    cutoff = utcnow() - timedelta(seconds=stale_seconds)
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None or job.status in FINISHED:
            return None
        taken = session.execute(
            update(Job).where(Job.id == job_id, Job.attempts == job.attempts, or_(
                Job.status == "queued",
                and_(Job.status == "running",
                     or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff))))
            .values(status="running", attempts=Job.attempts + 1, heartbeat_at=utcnow(),
                    updated_at=utcnow(), error="")
            .execution_options(synchronize_session=False))
        if taken.rowcount != 1:
            return None
        return job.attempts + 1


class Heartbeat:
    """Write a job's heartbeat every few seconds from a thread while its work runs."""

    def __init__(self, engine: Engine, job_id: int, attempt: int, every: float):
        self.engine, self.job_id, self.attempt, self.every = engine, job_id, attempt, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True,
                                       name=f"annotator-heartbeat-{job_id}")

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with session_scope(self.engine) as session:
                    session.execute(update(Job).where(_current(self.job_id, self.attempt))
                                    .values(heartbeat_at=utcnow())
                                    .execution_options(synchronize_session=False))
            except Exception:  # a busy database: the next beat tries again
                log.warning("heartbeat of job %s not written", self.job_id, exc_info=True)


@tasks.task()
def run_job(job_id: int) -> None:
    """The queue's task for every job with a Job row: claim it, then do it with heartbeats."""
    rt = tasks.runtime()
    settings = rt.settings
    attempt = claim(rt.engine, job_id, _setting(settings, "JOB_STALE_SECONDS", STALE_SECONDS))
    if attempt is None:
        return
    with session_scope(rt.engine, write=False) as session:
        job = session.get(Job, job_id)
        kind, fmt = job.kind, job.format
    every = _setting(settings, "JOB_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    with Heartbeat(rt.engine, job_id, attempt, every):
        if kind == "export":
            run_export_job(rt.engine, job_id, attempt=attempt,
                           base_url=settings.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
                           desk_name=settings.get("DESK_NAME", "Annotator fact-check desk"))
        elif kind == "import" and fmt in _IMPORTERS:
            run_import_job(rt.engine, job_id, attempt=attempt, fmt=fmt, settings=settings)
        elif kind == "retrain":
            run_retrain_job(rt.engine, job_id, attempt=attempt)
        elif fmt in _RUNNERS:
            _RUNNERS[fmt](rt.engine, job_id)
        else:
            _fail(rt.engine, job_id, attempt, f"No worker knows jobs of kind {kind}.")


# Jobs of other kinds, by their format: each registered by the module that owns the work
# (services.factchecks), which the services package loads; this module imports none of them.
_RUNNERS: dict[str, Callable[[Engine, int], None]] = {}
_IMPORTERS: dict[str, Callable[..., Any]] = {}
_AFTER_IMPORT: dict[str, Callable[..., None]] = {}


def runner(fmt: str):
    """Register the function that does an upload job of format ``fmt`` (engine, job id)."""
    def register(func: Callable[[Engine, int], None]):
        _RUNNERS[fmt] = func
        return func
    return register


def importer(fmt: str, after: Callable[..., None] | None = None):
    """Register the function an import job of format ``fmt`` loads its upload with, and
    optionally what runs once that import has committed (engine, report, settings)."""
    def register(func):
        _IMPORTERS[fmt] = func
        if after is not None:
            _AFTER_IMPORT[fmt] = after
        return func
    return register


@tasks.task()
def mark_task(article_id: int) -> None:
    """The queue's task for "checked before?" marks after an import."""
    run_mark_job(tasks.runtime().engine, article_id)


def requeue_stale(session: Session, stale_seconds: float = STALE_SECONDS) -> list[int]:
    """Queue again the running jobs whose worker went silent; fail those tried too often.

    Returns the ids to send to the queue once the caller commits. One conditional UPDATE per
    job: a worker that finishes meanwhile wins, and its job is left alone.
    """
    cutoff = utcnow() - timedelta(seconds=stale_seconds)
    silent = and_(Job.status == "running",
                  or_(Job.heartbeat_at < cutoff,
                      and_(Job.heartbeat_at.is_(None), Job.updated_at < cutoff)))
    again = []
    for job in session.exec(select(Job).where(silent)).all():
        if job.attempts >= MAX_ATTEMPTS:
            values = {"status": "failed", "error": (
                f"The worker doing this job stopped {job.attempts} times; it was not tried "
                "again. The workers' log has the details for an admin.")}
        else:
            values = {"status": "queued"}
        done = session.execute(update(Job).where(Job.id == job.id, silent,
                                                 Job.attempts == job.attempts)
                               .values(updated_at=utcnow(), **values)
                               .execution_options(synchronize_session=False))
        if done.rowcount == 1 and values["status"] == "queued":
            again.append(job.id)
        elif done.rowcount == 1:
            session.refresh(job)
            from annotator.services import webhooks

            webhooks.emit(session, "job.finished", job_document(job, _download_path(job)))
    # A job queued long ago whose message the queue lost (a Redis restart): send it again.
    # A duplicate message is harmless: `claim` lets one take through.
    forgotten = and_(Job.status == "queued",
                     Job.updated_at < utcnow() - timedelta(seconds=RESEND_QUEUED_SECONDS))
    for job_id in session.exec(select(Job.id).where(forgotten).limit(100)).all():
        session.execute(update(Job).where(Job.id == job_id, forgotten)
                        .values(updated_at=utcnow())
                        .execution_options(synchronize_session=False))
        again.append(job_id)
    return again


def _sweep() -> list[int]:
    rt = tasks.runtime()
    with session_scope(rt.engine) as session:
        again = requeue_stale(session, _setting(rt.settings, "JOB_STALE_SECONDS",
                                                STALE_SECONDS))
    for job_id in again:
        log.warning("job %s lost its worker; queued again", job_id)
        enqueue_job(job_id)
    return again


_sweeper = threading.Lock()
_sweeping: list[threading.Thread] = []


@tasks.on_startup
def take_up_jobs_at_start() -> None:
    """When a worker starts: take up the jobs a dead worker left, then look again every half
    JOB_STALE_SECONDS (a dead worker's job is running again well within a minute)."""
    with _sweeper:
        if _sweeping:  # once per worker process, whatever its number of threads
            return
        every = max(1.0, _setting(tasks.runtime().settings, "JOB_STALE_SECONDS",
                                  STALE_SECONDS) / 2)
        thread = threading.Thread(target=_sweep_forever, args=(every,), daemon=True,
                                  name="annotator-job-sweeper")
        _sweeping.append(thread)
        thread.start()


def _sweep_forever(every: float) -> None:
    stop = threading.Event()
    while True:
        try:
            _sweep()
        except Exception:  # the database may be down for a moment; look again later
            log.exception("could not look for jobs a dead worker left")
        stop.wait(every)


@tasks.periodic_task(tasks.crontab(minute="17", hour="3"))
def prune_old_jobs() -> None:
    """Every night: delete finished jobs and their files older than JOB_KEEP_DAYS."""
    rt = tasks.runtime()
    days = _setting(rt.settings, "JOB_KEEP_DAYS", KEEP_DAYS)
    with session_scope(rt.engine) as session:
        removed = prune(session, timedelta(days=days))
    log.info("pruned %s finished job(s) older than %s day(s)", removed, days)

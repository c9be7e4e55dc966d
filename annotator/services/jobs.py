"""Background jobs (exports and JSON imports) recorded in the database.

A job is a Job row (status, done, total) and its data in JobChunk rows: an export writes its
output there in CHUNK_BYTES pieces, an import keeps its uploaded file there. Any app server
can show the progress and stream the file back, whichever server ran the work. The work runs
in a thread started by the request, with its own database sessions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from annotator import review
from annotator.engine import new_session, session_scope
from annotator.exports import FORMATS, ExportFilter, filename, run_export
from annotator.exports.formats import expected_claims
from annotator.models import Job, JobChunk, User, utcnow
from annotator.services.errors import Invalid, NotFound, ServiceError

log = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
PROGRESS_EVERY = 1000  # claims between progress writes
# A job that has not moved for this long lost its server (a restart): it is marked failed.
STALE_AFTER = timedelta(minutes=10)
FINISHED = ("done", "failed")


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


def read_upload(session: Session, job_id: int) -> bytes:
    """Return an import job's uploaded file, joined from its chunks."""
    return b"".join(session.get(JobChunk, (job_id, seq)).data
                    for seq in range(chunk_count(session, job_id)))


def get_job(session: Session, user: User, job_id: int) -> Job:
    """Return a job its creator (or an editor) may see; mark it failed if it went stale."""
    job = session.get(Job, job_id)
    if job is None or (job.created_by_id != user.id
                       and not review.role_at_least(user.role, review.EDITOR)):
        raise NotFound("No such job.")
    if job.status not in FINISHED and utcnow() - job.updated_at > STALE_AFTER:
        job.status, job.error = "failed", "The server running this job stopped; start it again."
        job.updated_at = utcnow()
        session.add(job)
        session.flush()
    return job


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


def update_job(engine: Engine, job_id: int, **values) -> None:
    """Set a job's fields in a short transaction of its own (progress, status, result)."""
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        for key, value in values.items():
            setattr(job, key, value)
        job.updated_at = utcnow()
        session.add(job)


def _write_chunk(engine: Engine, job_id: int, seq: int, data: bytes, done: int) -> None:
    with session_scope(engine) as session:
        session.add(JobChunk(job_id=job_id, seq=seq, data=data))
        job = session.get(Job, job_id)
        job.done = max(job.done, done)
        job.updated_at = utcnow()
        session.add(job)


def run_export_job(engine: Engine, job_id: int, *, base_url: str, desk_name: str) -> None:
    """Do an export job: stream the export into chunks, recording progress as it goes."""
    read = new_session(engine)
    try:
        job = read.get(Job, job_id)
        fmt, filters = FORMATS[job.format], ExportFilter.from_params(job.params)
        total = expected_claims(read, fmt, filters)
        update_job(engine, job_id, status="running", total=total, done=0)
        state = {"done": 0, "written": 0}

        def progress(done: int) -> None:
            state["done"] = done
            if done - state["written"] >= PROGRESS_EVERY:
                update_job(engine, job_id, done=done)
                state["written"] = done

        buffer = bytearray()
        seq = size = 0
        for text in run_export(read, fmt.name, filters, base_url=base_url,
                               desk_name=desk_name, progress=progress):
            buffer += text.encode("utf-8")
            while len(buffer) >= CHUNK_BYTES:
                _write_chunk(engine, job_id, seq, bytes(buffer[:CHUNK_BYTES]), state["done"])
                del buffer[:CHUNK_BYTES]
                seq, size = seq + 1, size + CHUNK_BYTES
        if buffer or seq == 0:
            _write_chunk(engine, job_id, seq, bytes(buffer), state["done"])
            seq, size = seq + 1, size + len(buffer)
        update_job(engine, job_id, status="done", done=total,
                result={"bytes": size, "chunks": seq, "claims": state["done"]})
    except Exception as exc:  # the job records what went wrong; the thread must not die silently
        log.exception("export job %s failed", job_id)
        update_job(engine, job_id, status="failed", error=failure_sentence("export", exc))
    finally:
        read.close()


def run_import_job(engine: Engine, job_id: int) -> None:
    """Do an import job: load the uploaded export in one transaction."""
    from annotator.services.json_import import import_json

    try:
        with session_scope(engine, write=False) as session:
            job = session.get(Job, job_id)
            actor = session.get(User, job.created_by_id) if job.created_by_id else None
            data = read_upload(session, job_id)
            actor_id = actor.id if actor else None
        update_job(engine, job_id, status="running")
        with session_scope(engine) as session:
            actor = session.get(User, actor_id) if actor_id else None
            report = import_json(session, data, actor=actor)
        update_job(engine, job_id, status="done", done=len(data),
                result={"summary": report.summary(),
                        "article_ids": sorted(report.article_ids.values())})
    except ServiceError as exc:
        update_job(engine, job_id, status="failed", error=exc.message[:2000])
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        update_job(engine, job_id, status="failed", error=failure_sentence("import", exc))


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
    the matcher works), the marks are written in a short second transaction.
    """
    from annotator.services import marks

    try:
        with session_scope(engine, write=False) as session:
            found = marks.compute(session, article_id)
        with session_scope(engine) as session:
            return marks.store(session, found)
    except Exception:  # a thread must not die silently; the page simply shows no marks
        log.exception("checked-before marks for article %s failed", article_id)
        return 0


def mark_after_import(engine: Engine, article_id: int, enabled: bool = True) -> None:
    """Start `run_mark_job` for a committed import (unless the desk turned it off)."""
    if enabled:
        start(run_mark_job, engine, article_id)


def start(target, *args, **kwargs) -> threading.Thread:
    """Run a job function in a background thread (after the job row is committed)."""
    thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True,
                              name=f"annotator-job-{args[1] if len(args) > 1 else ''}")
    thread.start()
    return thread

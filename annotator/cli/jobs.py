"""`annotator jobs ...`, `annotator worker` and `annotator webhooks ...`: the queue's side."""

from __future__ import annotations

import click

from annotator.cli._common import fail, migrated_engine


@click.group()
def jobs() -> None:
    """Background exports and imports."""


@jobs.command("prune")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=0),
              help="Keep finished jobs younger than this.")
def jobs_prune(days: int) -> None:
    """Delete finished jobs and their files older than --days."""
    from datetime import timedelta

    from annotator.db import session_scope
    from annotator.services import jobs as job_service

    engine = migrated_engine()
    with session_scope(engine) as session:
        removed = job_service.prune(session, timedelta(days=days))
    click.echo(f"Removed {removed} finished job(s) older than {days} day(s).")


@click.command()
@click.option("--no-periodic", is_flag=True,
              help="Run no scheduled tasks (for extra workers: one periodic worker is enough).")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Tasks this worker runs at once.")
@click.option("--nice", "niceness", default=10, show_default=True, envvar="WORKER_NICE",
              type=click.IntRange(0, 19),
              help="Lower this worker's CPU priority by this much (0: the web's priority), so "
                   "an export or a long import never slows the pages served beside it.")
def worker(no_periodic: bool, threads: int, niceness: int) -> None:
    """Run a queue consumer: exports, imports, webhooks and the schedules. Ctrl-C stops it.

    The queue is REDIS_URL when set, else the SQLite file QUEUE_FILE (instance/queue.sqlite3).
    """
    import logging
    import os

    from annotator import priority

    grouped = False
    if niceness:
        os.nice(niceness)  # before any thread starts: every task thread inherits it
        # Started in a session of its own (by a supervisor), the worker is a CPU group of its
        # own too: lower the group's weight, or it outbids the web server's group.
        grouped = priority.lower_group_priority(os.nice(0))

    from annotator import config, tasks

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = config.load()
    engine = migrated_engine()
    tasks.bind(engine, settings)
    where = tasks.configure({**settings, "QUEUE_IMMEDIATE": "0"})
    tasks.load_task_modules()
    click.echo(f"annotator worker: queue {where}; {threads} thread(s); "
               f"scheduled tasks {'off' if no_periodic else 'on'}; "
               f"niceness {os.nice(0)}"
               + (f"; its session's CPU group at niceness {os.nice(0)}" if grouped else ""),
               err=True)
    consumer = tasks.huey.create_consumer(workers=threads, periodic=not no_periodic,
                                          initial_delay=0.1, backoff=1.15, max_delay=1.0,
                                          check_worker_health=True)
    consumer.run()


@click.group()
def webhooks() -> None:
    """Endpoints that receive signed events (claim.approved, job.finished, ...)."""


@webhooks.command("add")
@click.argument("url")
@click.option("--events", "event_names", required=True,
              help="Comma-separated: claim.approved, claim.published, claim.reopened, "
                   "article.imported, job.finished.")
def webhooks_add(url: str, event_names: str) -> None:
    """Register an endpoint; its signing secret is printed alone on the last line."""
    from annotator import config
    from annotator.db import session_scope
    from annotator.services import webhooks as service
    from annotator.services.errors import ServiceError

    allow = bool(config.load().get("ALLOW_PRIVATE_URLS"))
    engine = migrated_engine()
    try:
        with session_scope(engine) as session:
            endpoint = service.add_endpoint(session, None, url, event_names,
                                            allow_private=allow)
            endpoint_id, secret, names = endpoint.id, endpoint.secret, endpoint.events
    except ServiceError as exc:
        fail(exc.message)
    click.echo(f"Endpoint {endpoint_id} for {', '.join(names)}. Its secret, shown this once:")
    click.echo(secret)


@webhooks.command("list")
def webhooks_list() -> None:
    """List the endpoints: id, state, events, address and the last delivery's outcome."""
    from sqlmodel import select

    from annotator.db import session_scope
    from annotator.models import WebhookDelivery
    from annotator.services import webhooks as service

    engine = migrated_engine()
    with session_scope(engine, write=False) as session:
        for endpoint in service.list_endpoints(session):
            last = session.exec(select(WebhookDelivery)
                                .where(WebhookDelivery.endpoint_id == endpoint.id)
                                .order_by(WebhookDelivery.id.desc()).limit(1)).first()
            outcome = f"last {last.event} {last.status}" if last else "no deliveries yet"
            click.echo(f"{endpoint.id}\t{'active' if endpoint.active else 'paused'}\t"
                       f"{','.join(endpoint.events)}\t{endpoint.url}\t{outcome}")


COMMANDS = [jobs, worker, webhooks]

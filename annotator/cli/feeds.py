"""`annotator feeds ...`: add, list and poll news feeds (in the foreground, no worker)."""

from __future__ import annotations

import click

from annotator.cli._common import ID, fail, migrated_engine


@click.group()
def feeds() -> None:
    """News feeds whose new items are imported as articles."""


@feeds.command("add")
@click.argument("url")
@click.option("--outlet", required=True, help="The outlet the feed belongs to.")
@click.option("--language", default="", help="Language code of its articles (detected when "
              "omitted).")
@click.option("--as", "as_user", default=None,
              help="Username recorded as the feed's adder (default: the first admin or editor).")
def feeds_add(url: str, outlet: str, language: str, as_user: str | None) -> None:
    """Add a feed and print its id; it is polled by the queue or by `feeds poll`."""
    from sqlmodel import select

    from annotator import review
    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import feeds as feed_service
    from annotator.services.errors import ServiceError

    engine = migrated_engine()
    try:
        with session_scope(engine) as session:
            query = select(User).where(User.active)
            if as_user:
                query = query.where(User.username == as_user)
            else:
                query = query.where(User.role.in_((review.ADMIN, review.EDITOR)))
            actor = session.exec(query.order_by(User.id)).first()
            if actor is None:
                raise ServiceError(f"No active user {as_user!r}." if as_user else
                                   "Create an editor first: annotator users create NAME "
                                   "--role editor")
            feed_id = feed_service.add_feed(session, actor, url, outlet, language).id
    except ServiceError as exc:
        fail(exc.message)
    click.echo(feed_id)


@feeds.command("list")
def feeds_list() -> None:
    """List the feeds: id, on/off, status, last poll, new items then, outlet, address."""
    from annotator.db import session_scope
    from annotator.services import feeds as feed_service

    engine = migrated_engine()
    with session_scope(engine, write=False) as session:
        rows = feed_service.list_feeds(session)
    for feed in rows:
        polled = feed.last_polled_at.strftime("%Y-%m-%dT%H:%M:%SZ") if feed.last_polled_at \
            else "never"
        state = "on" if feed.active else "off"
        line = (f"{feed.id}\t{state}\t{feed.status}\t{polled}\tnew={feed.last_new}\t"
                f"{feed.outlet}\t{feed.url}")
        click.echo(line + (f"\t{feed.error}" if feed.error else ""))


@feeds.command("poll")
@click.argument("ids", nargs=-1, type=ID)
def feeds_poll(ids: tuple[int, ...]) -> None:
    """Poll feeds now (the given ids, else every active feed that is due).

    Prints one line per feed: `<id> new=<n> unchanged=<n> errors=<n>`.
    """
    from annotator import config
    from annotator.services import jobs, polling
    from annotator.services.errors import ServiceError

    engine = migrated_engine()
    settings = config.load()
    poll = polling.PollSettings.from_config(settings)
    after = ((lambda article_id: jobs.run_mark_job(engine, article_id))
             if settings.get("CHECKED_BEFORE_JOBS", True) else None)
    try:
        results = polling.poll_feeds(engine, list(ids) or None, poll, after_import=after)
    except ServiceError as exc:
        fail(exc.message)
    for result in results:
        click.echo(result.line())


COMMANDS = [feeds]

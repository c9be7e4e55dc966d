"""Webhooks: tell other systems what happened, signed per the Standard Webhooks specification.

An admin registers an endpoint (a URL and the events it wants); its secret (``whsec_...``) is
shown once. When a service does something an endpoint asked for, it calls ``emit`` (or
``claim_event`` / ``article_event``) in its transaction: one WebhookDelivery row per endpoint
holds the exact body, and the queue's ``deliver`` task POSTs it once the transaction
commits. Events:

- ``claim.approved``: a claim was approved (``data``: the claim's API shape);
- ``claim.published``: an approved claim's ``published_url`` was set;
- ``claim.reopened``: a published claim was reopened;
- ``article.imported``: an article was imported (``data``: the article's API shape);
- ``job.finished``: a background job ended, done or failed (``data``: the job's JSON).

The body is ``{"type", "timestamp", "data"}``; the headers ``webhook-id`` (the same on every
try of one delivery: receivers de-duplicate on it), ``webhook-timestamp`` and
``webhook-signature`` (``v1,<base64 HMAC-SHA256>``, by the ``standardwebhooks`` library).
A try that gets no 2xx answer is retried with exponential back-off (RETRY_SECONDS, or
WEBHOOK_RETRY_SECONDS in the settings); every try is logged, and a delivery can be sent
again from the log. Endpoints pass the URL guard of URL import (ALLOW_PRIVATE_URLS aside),
checked when added and again, with the address pinned, on every try.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import or_, update
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook

from annotator import __version__, review, tasks
from annotator.engine import session_scope
from annotator.models import (
    Claim,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from annotator.presenters import iso
from annotator.services import events
from annotator.services.errors import Forbidden, Invalid, NotFound

log = logging.getLogger(__name__)

EVENTS = ("claim.approved", "claim.published", "claim.reopened", "article.imported",
          "job.finished")
# Seconds to wait before each retry: the first retries within seconds, the third try comes
# 35 s after the first, then further apart up to a day; after the last, the delivery fails.
RETRY_SECONDS = (5, 30, 180, 900, 3600, 3 * 3600, 8 * 3600, 24 * 3600)
TIMEOUT = 10.0
MAX_URL = 2000
# A try in flight holds its delivery this long: a duplicate message does not send it twice.
LEASE_SECONDS = 120
USER_AGENT = f"annotator/{__version__} (webhooks)"


# -- endpoints ------------------------------------------------------------------------------

def _admin(user: User | None) -> None:
    if user is not None and (not user.active or not review.may(user.role, "admin")):
        raise Forbidden("Only an admin can manage webhooks.")


def parse_events(value: str | list[str] | tuple[str, ...]) -> list[str]:
    """Return the events named (comma-separated or a list), refusing unknown ones."""
    names = value.split(",") if isinstance(value, str) else list(value)
    chosen = [n.strip() for n in names if n and n.strip()]
    unknown = [n for n in chosen if n not in EVENTS]
    if unknown:
        raise Invalid(f"Unknown event {unknown[0]!r}; choose from {', '.join(EVENTS)}.",
                      field="events")
    if not chosen:
        raise Invalid(f"Choose at least one event: {', '.join(EVENTS)}.", field="events")
    return [n for n in EVENTS if n in chosen]


def check_endpoint_url(url: str, *, allow_private: bool = False) -> str:
    """Refuse what URL import refuses (not http(s), private addresses unless allowed)."""
    from annotator.services import fetch

    url = (url or "").strip()
    if not url:
        raise Invalid("Give the endpoint's address.", field="url")
    if len(url) > MAX_URL:
        raise Invalid(f"The address is longer than {MAX_URL} characters.", field="url")
    try:
        fetch.check_url(url, allow_private=allow_private)
    except Invalid as exc:
        raise Invalid(exc.message, field="url") from None
    return url


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form: whsec_ + base64 of 32 bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def add_endpoint(session: Session, actor: User | None, url: str, event_names,
                 *, allow_private: bool = False) -> WebhookEndpoint:
    """Register an endpoint; its `secret` is to be shown to the admin this once."""
    _admin(actor)
    url = check_endpoint_url(url, allow_private=allow_private)
    endpoint = WebhookEndpoint(url=url, events=parse_events(event_names), secret=new_secret(),
                               created_by_id=actor.id if actor else None)
    session.add(endpoint)
    session.flush()
    events.record(session, "webhook_add", actor=actor,
                  new={"endpoint": endpoint.id, "url": url, "events": endpoint.events})
    return endpoint


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.exec(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all())


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def set_active(session: Session, actor: User | None, endpoint_id: int,
               active: bool) -> WebhookEndpoint:
    """Pause or resume an endpoint (a paused one gets no new deliveries)."""
    _admin(actor)
    endpoint = get_endpoint(session, endpoint_id)
    if endpoint.active != active:
        endpoint.active = active
        session.add(endpoint)
        events.record(session, "webhook_resume" if active else "webhook_pause", actor=actor,
                      new={"endpoint": endpoint.id, "url": endpoint.url})
        session.flush()
    return endpoint


def deliveries(session: Session, endpoint_id: int, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first."""
    return list(session.exec(select(WebhookDelivery)
                             .where(WebhookDelivery.endpoint_id == endpoint_id)
                             .order_by(WebhookDelivery.id.desc()).limit(limit)).all())


def attempts_of(session: Session, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """Each delivery's tries, oldest first."""
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        for attempt in session.exec(select(WebhookAttempt)
                                    .where(WebhookAttempt.delivery_id.in_(delivery_ids))
                                    .order_by(WebhookAttempt.id)).all():
            found[attempt.delivery_id].append(attempt)
    return found


# -- emitting events ------------------------------------------------------------------------

def emit(session: Session, event: str, data: Mapping[str, Any]) -> int:
    """Record one delivery per active endpoint that wants `event`; they go out on commit.

    Returns how many deliveries were made (none when no endpoint wants the event).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event}")
    wanted = [e for e in session.exec(select(WebhookEndpoint)
                                      .where(WebhookEndpoint.active)).all()
              if event in (e.events or [])]
    if not wanted:
        return 0
    now = utcnow()
    body = orjson.dumps({"type": event, "timestamp": iso(now), "data": data},
                        default=str).decode("utf-8")
    for endpoint in wanted:
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event=event,
                                   msg_id=f"msg_{uuid.uuid4().hex}", body=body,
                                   next_attempt_at=now)
        session.add(delivery)
        session.flush()
        tasks.after_commit(session, deliver, delivery.id)
    return len(wanted)


# The API shape of a claim or an article, by kind: registered by services.documents when it
# loads (the services package loads it), so this module never imports the layer above it.
_SHAPES: dict[str, Callable[[Session, int], dict]] = {}


def shape(kind: str):
    """Register the function that gives a ``kind``'s API shape (a payload's ``data``)."""
    def register(func: Callable[[Session, int], dict]):
        _SHAPES[kind] = func
        return func
    return register


def _wanted(session: Session, event: str) -> bool:
    return any(event in (e.events or []) for e in session.exec(
        select(WebhookEndpoint).where(WebhookEndpoint.active)).all())


def claim_event(session: Session, action: str, claim: Claim) -> None:
    """After a workflow action or a publication: send claim.approved, claim.published or
    claim.reopened (a reopened claim only if it had been published)."""
    if action == review.APPROVE:
        event = "claim.approved"
    elif action == "publish" and claim.published_url:
        event = "claim.published"
    elif action == review.REOPEN and claim.published_url:
        event = "claim.reopened"
    else:
        return
    if not _wanted(session, event):
        return
    session.flush()
    emit(session, event, _SHAPES["claim"](session, claim.id))


def article_event(session: Session, article_id: int) -> None:
    """After an import: send article.imported with the article's API shape."""
    if not _wanted(session, "article.imported"):
        return
    session.flush()
    emit(session, "article.imported", _SHAPES["article"](session, article_id))


# -- delivering -----------------------------------------------------------------------------

def retry_schedule(settings: Mapping[str, Any]) -> tuple[float, ...]:
    """The waits before each retry: WEBHOOK_RETRY_SECONDS ("5,30,180") or RETRY_SECONDS."""
    value = settings.get("WEBHOOK_RETRY_SECONDS")
    if value in (None, ""):
        return RETRY_SECONDS
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    return tuple(float(v) for v in value)


def sign(secret: str, msg_id: str, when: datetime, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for one try of a delivery."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, when, body)}


def _take(session: Session, delivery_id: int) -> bool:
    """Lease a pending delivery that is due, so that one try at a time sends it."""
    now = utcnow()
    due = or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now)
    taken = session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending", due)
        .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS), updated_at=now)
        .execution_options(synchronize_session=False))
    return taken.rowcount == 1


def post(url: str, body: str, headers: Mapping[str, str], *, timeout: float,
         allow_private: bool) -> int:
    """POST the body to the checked, pinned address; return the answer's status code."""
    from annotator.services import fetch

    address = fetch.check_url(url, allow_private=allow_private)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    connection_class = fetch._PinnedTLS if parts.scheme == "https" else fetch._Pinned
    connection = connection_class(parts.hostname, port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body.encode("utf-8"), headers={
            **headers, "Content-Type": "application/json", "User-Agent": USER_AGENT})
        response = connection.getresponse()
        response.read(64 * 1024)  # the answer's body is not kept
        return response.status
    finally:
        connection.close()


@tasks.task()
def deliver(delivery_id: int) -> None:
    """The queue's task: try one delivery now; on failure, schedule the next try."""
    rt = tasks.runtime()
    attempt_delivery(rt.engine, delivery_id, rt.settings)


def attempt_delivery(engine, delivery_id: int, settings: Mapping[str, Any]) -> str | None:
    """Try a delivery once, log the try, and schedule a retry; return its status after."""
    with session_scope(engine) as session:
        if not _take(session, delivery_id):
            return None
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        url, secret, msg_id, body = endpoint.url, endpoint.secret, delivery.msg_id, delivery.body
    when = utcnow()
    status_code, error = None, ""
    started = time.monotonic()
    try:
        status_code = post(url, body, sign(secret, msg_id, when, body),
                           timeout=float(settings.get("WEBHOOK_TIMEOUT") or TIMEOUT),
                           allow_private=bool(settings.get("ALLOW_PRIVATE_URLS", False)))
        if not 200 <= status_code < 300:
            error = f"The endpoint answered {status_code}."
    except Invalid as exc:
        error = exc.message
    except Exception as exc:  # a refused connection, a timeout, a TLS failure: logged
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration = int((time.monotonic() - started) * 1000)
    schedule = retry_schedule(settings)
    with session_scope(engine) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        session.add(WebhookAttempt(delivery_id=delivery_id, at=when, status_code=status_code,
                                   duration_ms=duration, error=error))
        delivery.attempts += 1
        delivery.updated_at = utcnow()
        delay = None
        if not error:
            delivery.status, delivery.next_attempt_at = "delivered", None
        elif delivery.attempts > len(schedule):
            delivery.status, delivery.next_attempt_at = "failed", None
        else:
            delay = schedule[delivery.attempts - 1]
            delivery.next_attempt_at = utcnow() + timedelta(seconds=delay)
        session.add(delivery)
        status = delivery.status
        if delay is not None:
            tasks.after_commit(session, deliver, delivery_id, delay=delay)
    return status


def resend(session: Session, actor: User | None, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again (from the log): it is tried anew, with a fresh back-off."""
    _admin(actor)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery.")
    delivery.status, delivery.attempts = "pending", 0
    delivery.next_attempt_at = delivery.updated_at = utcnow()
    session.add(delivery)
    session.flush()
    events.record(session, "webhook_resend", actor=actor,
                  new={"endpoint": delivery.endpoint_id, "delivery": delivery.id,
                       "event": delivery.event})
    tasks.after_commit(session, deliver, delivery.id)
    return delivery


def overdue(session: Session, grace_seconds: float = 60) -> list[int]:
    """Pending deliveries whose try is overdue (a lost message, a dead worker)."""
    cutoff = utcnow() - timedelta(seconds=grace_seconds)
    return list(session.exec(select(WebhookDelivery.id).where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at < cutoff)
        .order_by(WebhookDelivery.id).limit(1000)).all())


@tasks.periodic_task(tasks.crontab(minute="*"))
def send_overdue_deliveries() -> None:
    """Every minute: queue again the deliveries whose message was lost."""
    rt = tasks.runtime()
    with session_scope(rt.engine, write=False) as session:
        ids = overdue(session)
    for delivery_id in ids:
        tasks.enqueue(deliver, delivery_id)

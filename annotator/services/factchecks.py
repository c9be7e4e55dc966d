"""Other outlets' fact-checks: load ClaimReview JSON-LD into ExternalFactCheck rows.

A feed may be one ClaimReview, an array of them, a schema.org DataFeed (`dataFeedElement`,
whose elements may wrap the review in `item`) or an `@graph`. Items without a rating or URL
are kept; items without any claim text are skipped. The same URL or identifier updates the
stored fact-check instead of adding another, so loading a feed twice changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from annotator.engine import session_scope
from annotator.models import ExternalFactCheck, Job, User, max_length, utcnow
from annotator.sanitize import is_safe_url
from annotator.services import jobs, matching, params
from annotator.services.errors import Invalid, ServiceError

log = logging.getLogger(__name__)

BATCH = 500  # items per transaction: short write locks, even for a large feed
MAX_NESTING = 8
# Each field's limit, read from the model (ExternalFactCheck) where it is written once.
LIMITS = {name: max_length(ExternalFactCheck, name) for name in (
    "identifier", "url", "claim_reviewed", "title", "summary", "rating", "publisher", "author",
    "claimant", "language")}
FIELDS = (*LIMITS, "published")


@dataclass
class LoadReport:
    """What a load did: counts of each outcome, and why items were skipped."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "skipped": self.skipped, "reasons": dict(self.reasons)}

    def summary(self) -> str:
        text = (f"{self.created} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{self.skipped} skipped")
        if self.reasons:
            text += " (" + "; ".join(f"{n} {r}" for r, n in sorted(self.reasons.items())) + ")"
        return text + "."


def parse(data: bytes | str) -> object:
    """Parse a feed file's JSON, refusing anything that is not JSON with a clear message."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"The file is not JSON: {str(exc)[:120]}.") from None


def _types(node: dict) -> set[str]:
    kind = node.get("@type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds}


def iter_reviews(doc: object, depth: int = 0) -> Iterator[object]:
    """Yield every ClaimReview-like node of a document, whatever envelope it comes in."""
    if depth > MAX_NESTING:
        return
    if isinstance(doc, list):
        for node in doc:
            yield from iter_reviews(node, depth + 1)
        return
    if not isinstance(doc, dict):
        yield doc  # counted as skipped by normalise
        return
    if "@graph" in doc:
        yield from iter_reviews(doc["@graph"], depth + 1)
    elif "dataFeedElement" in doc:
        yield from iter_reviews(doc["dataFeedElement"], depth + 1)
    elif "ClaimReview" not in _types(doc) and isinstance(doc.get("item"), dict | list):
        yield from iter_reviews(doc["item"], depth + 1)  # a DataFeedItem wrapping a review
    else:
        yield doc


def _text(value: object) -> str:
    """Return a plain string from a JSON-LD value: a string, a number, or a node's name."""
    if isinstance(value, list):
        value = next((v for v in value if v), "")
    if isinstance(value, dict):
        value = value.get("name") or value.get("value") or value.get("@value") or ""
    if isinstance(value, bool) or value is None:
        return ""
    text = str(value)
    # No control characters in stored text (they break exports and terminals).
    return " ".join("".join(ch if ch.isprintable() or ch in "\n\t" else " "
                            for ch in text).split())


def _rating(review: dict) -> str:
    rating = review.get("reviewRating")
    if isinstance(rating, list):
        rating = next((r for r in rating if isinstance(r, dict)), None)
    if not isinstance(rating, dict):
        return _text(rating)
    name = _text(rating.get("alternateName")) or _text(rating.get("name"))
    if name:
        return name
    value, best = _text(rating.get("ratingValue")), _text(rating.get("bestRating"))
    return f"{value}/{best}" if value and best else value


def _date(value: object) -> date | None:
    text = _text(value)
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def normalise(node: object) -> dict | None:
    """Turn one ClaimReview node into ExternalFactCheck fields, or None if it has no claim."""
    if not isinstance(node, dict) or "ClaimReview" not in _types(node):
        return None
    item = node.get("itemReviewed") if isinstance(node.get("itemReviewed"), dict) else {}
    url = _text(node.get("url"))
    values = {
        "identifier": _text(node.get("identifier")),
        "url": url if is_safe_url(url) else "",
        "claim_reviewed": _text(node.get("claimReviewed")) or _text(item.get("name")),
        "title": _text(node.get("name")) or _text(node.get("headline")),
        "summary": _text(node.get("description")) or _text(node.get("reviewBody")),
        "rating": _rating(node),
        "publisher": _text(node.get("publisher")) or _text(node.get("author")),
        "author": _text(node.get("creator")) or _text(node.get("author")),
        "claimant": _text(item.get("author")),
        "language": _text(node.get("inLanguage")),
        "published": _date(node.get("datePublished")),
    }
    if not values["claim_reviewed"]:
        values["claim_reviewed"] = values["title"]
    if not values["claim_reviewed"]:
        return None
    return _fitted(values)


def _fitted(values: dict) -> dict:
    """Fit a feed's text to the fields: shortened visibly (an ellipsis), never cut silently;
    an address too long to store is dropped, since a cut one would point elsewhere."""
    for key, limit in LIMITS.items():
        if len(values[key]) <= limit:
            continue
        values[key] = "" if key == "url" else (
            values[key][:limit] if key == "identifier" else params.fit(values[key], limit))
    return values


def import_batch(session: Session, items: list[dict], report: LoadReport) -> None:
    """Create or update one batch of normalised fact-checks (the caller commits)."""
    urls = {i["url"] for i in items if i["url"]}
    identifiers = {i["identifier"] for i in items if i["identifier"]}
    by_url: dict[str, ExternalFactCheck] = {}
    by_identifier: dict[str, ExternalFactCheck] = {}
    existing = []
    if urls:
        existing += session.exec(select(ExternalFactCheck)
                                 .where(ExternalFactCheck.url.in_(urls))).all()
    if identifiers:
        existing += session.exec(select(ExternalFactCheck)
                                 .where(ExternalFactCheck.identifier.in_(identifiers))).all()
    for row in existing:
        _remember(row, by_url, by_identifier)
    changed: list[ExternalFactCheck] = []
    for values in items:
        row = (by_url.get(values["url"]) if values["url"] else None) or (
            by_identifier.get(values["identifier"]) if values["identifier"] else None)
        if row is None and not values["url"] and not values["identifier"]:
            # Nothing identifies it: the same claim text from the same publisher is the same.
            row = session.exec(select(ExternalFactCheck).where(
                ExternalFactCheck.claim_reviewed == values["claim_reviewed"],
                ExternalFactCheck.publisher == values["publisher"],
                ExternalFactCheck.url == "", ExternalFactCheck.identifier == "")).first()
        if row is None:
            row = ExternalFactCheck(**values)
            session.add(row)
            report.created += 1
            changed.append(row)
        else:
            # A feed without a URL or rating does not erase one loaded earlier.
            updates = {k: v for k, v in values.items()
                       if v not in ("", None) and getattr(row, k) != v}
            if not updates:
                report.unchanged += 1
                continue
            for key, value in updates.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            session.add(row)
            report.updated += 1
            changed.append(row)
        _remember(row, by_url, by_identifier)
    session.flush()
    matching.index_factchecks(session, changed)


def _remember(row: ExternalFactCheck, by_url: dict, by_identifier: dict) -> None:
    if row.url:
        by_url[row.url] = row
    if row.identifier:
        by_identifier[row.identifier] = row


def _batches(nodes: Iterable[object], report: LoadReport) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for node in nodes:
        values = normalise(node)
        if values is None:
            report.skip("without a ClaimReview claim")
            continue
        batch.append(values)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load(engine: Engine, data: bytes | str,
         progress: Callable[[int, int], None] | None = None) -> LoadReport:
    """Load a feed file in short transactions of BATCH items; return what happened."""
    nodes = list(iter_reviews(parse(data)))
    report = LoadReport()
    for batch in _batches(nodes, report):
        with session_scope(engine) as session:
            import_batch(session, batch, report)
        if progress:
            progress(report.seen, len(nodes))
    if not nodes:
        raise Invalid("The file holds no ClaimReview items.")
    return report


# -- the admin page's background job -------------------------------------------------------

JOB_FORMAT = "factchecks"


def create_job(session: Session, user: User, name: str, data: bytes) -> Job:
    """Record a queued fact-check load with its uploaded file; the caller commits and starts."""
    if not data:
        raise Invalid("Choose a ClaimReview JSON-LD file to load.")
    return jobs.store_upload(session, user, JOB_FORMAT, name, data)


@jobs.runner(JOB_FORMAT)
def run_job(engine: Engine, job_id: int) -> None:
    """Do a fact-check load job, recording progress after every batch."""
    try:
        with session_scope(engine, write=False) as session:
            data = jobs.read_upload(session, job_id)
        jobs.update_job(engine, job_id, status="running")
        report = load(engine, data, progress=lambda done, total: jobs.update_job(
            engine, job_id, done=done, total=total))
        jobs.update_job(engine, job_id, status="done",
                        result={**report.as_dict(), "summary": report.summary()})
    except Exception as exc:  # recorded on the job; the thread must not die silently
        if not isinstance(exc, ServiceError):
            log.exception("fact-check load job %s failed", job_id)
        jobs.update_job(engine, job_id, status="failed",
                        error=jobs.failure_sentence("fact-check load", exc))


def job_of(session: Session, job_id: int) -> Job | None:
    """Return a fact-check load job by id, or None."""
    job = session.get(Job, job_id)
    return job if job is not None and job.format == JOB_FORMAT else None


def import_records(session: Session, records: list) -> LoadReport:
    """Load the native export's `external_factchecks` (same field names as the table)."""
    report = LoadReport()
    batch: list[dict] = []
    for record in records:
        if not isinstance(record, dict) or not _text(record.get("claim_reviewed")):
            report.skip("without a claim")
            continue
        values = _fitted({k: _text(record.get(k)) for k in LIMITS})
        if values["url"] and not is_safe_url(values["url"]):
            values["url"] = ""
        values["published"] = _date(record.get("published"))
        batch.append(values)
        if len(batch) >= BATCH:
            import_batch(session, batch, report)
            batch = []
    if batch:
        import_batch(session, batch, report)
    return report

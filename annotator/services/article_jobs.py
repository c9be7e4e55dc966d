"""Long articles are imported by a worker, not in the web request (issue 19).

Extracting claims from a 4 MB paste takes seconds of CPU. Done in a web request, it holds a
server process and a core while reviewers wait for theirs. So a paste, a file or a fetched
page whose content is over ``IMPORT_QUEUE_BYTES`` is checked at once (what a person typed:
title, URL, date, sizes), kept as an import job (the request as JSON in the job's chunks),
and imported by ``annotator worker`` through the same ``articles.import_article`` as every
other import, in one transaction that also marks the job done. The answer is the job: the
web shows its page, the API answers 202 with its document; its ``result.article_ids`` names
the article once it is in.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import orjson
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, Claim, Job, User
from annotator.services import articles, jobs
from annotator.services.errors import Forbidden, Invalid

FORMAT = "article"


@dataclass
class Imported:
    """What an article import job added (the shape ``jobs.run_import_job`` records)."""

    article_id: int
    title: str
    proposed: int

    @property
    def article_ids(self) -> dict[int, int]:
        return {0: self.article_id}

    def summary(self) -> str:
        return f"Imported “{self.title}”: {self.proposed} claims proposed."


def too_long(req: articles.ImportRequest, limit: int) -> bool:
    """Tell whether the request's content is over `limit` bytes (0 or less: never queue)."""
    if limit <= 0:
        return False
    return max(len(req.text.encode("utf-8", "surrogatepass")),
               len(req.html.encode("utf-8", "surrogatepass"))) > limit


def queue(session: Session, actor: User, req: articles.ImportRequest) -> Job:
    """Check the request now and keep it as a queued import job; the caller commits, then
    calls ``jobs.enqueue_job``."""
    articles.check_request(req)
    # orjson: 1.5 ms for a 4 MB paste where json.dumps took 16 ms of the request's thread.
    data = orjson.dumps(dataclasses.asdict(req))
    name = req.title.strip() or req.url.strip() or "pasted article"
    return jobs.store_upload(session, actor, FORMAT, name, data, total=len(data))


def import_or_queue(session: Session, actor: User, req: articles.ImportRequest,
                    limit: int) -> Article | Job:
    """Import the article now, or queue it when its content is over `limit` bytes."""
    if too_long(req, limit):
        return queue(session, actor, req)
    return articles.import_article(session, actor, req)


def _import_queued(session: Session, data: bytes, actor: User | None = None) -> Imported:
    """The worker's side: import the kept request as the person who sent it."""
    if actor is None or not actor.active or not review.may(actor.role, "import"):
        raise Forbidden("The person who sent this article may no longer import articles.")
    try:
        fields = json.loads(data.decode("utf-8"))
        req = articles.ImportRequest(**{f.name: str(fields.get(f.name) or "")
                                        for f in dataclasses.fields(articles.ImportRequest)})
    except (UnicodeDecodeError, ValueError, AttributeError):
        raise Invalid("The kept article could not be read; send it again.") from None
    article = articles.import_article(session, actor, req)
    proposed = session.exec(select(func.count()).where(
        Claim.article_id == article.id, Claim.state == review.PROPOSED)).one()
    return Imported(article.id, article.title, proposed)


def _after(engine: Engine, report: Imported, settings) -> None:
    """Once the import has committed: its "checked before?" marks, as after every import."""
    jobs.mark_after_import(engine, report.article_id,
                           bool(settings.get("CHECKED_BEFORE_JOBS", True)))


jobs.importer(FORMAT, after=_after)(_import_queued)

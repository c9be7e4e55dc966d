"""Write checked export articles with bulk inserts, a batch of claims at a time.

Rows go in through SQLAlchemy Core (one INSERT per table per batch, ids read back with
RETURNING when the database picks them), in the caller's transaction. The search index and
the tallies follow through the database's triggers (migration 0007); @mentions, which a
mapper event writes for notes added through the ORM, are written here for the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select
from sqlmodel import Session

from annotator import review
from annotator.models import Article, Claim, Event, Mention, Note, Source, User, utcnow
from annotator.services import snapshots
from annotator.services.mentions import mentioned_usernames

BATCH_CLAIMS = 500


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _defaults(model) -> dict:
    # Every column, with the model's own defaults: a bulk INSERT names them all.
    blank = model()
    return {c.name: getattr(blank, c.name, None) for c in model.__table__.c}


# The states an import below admin may bring a claim in at (issue 19): never approved.
_CAPPED = {review.APPROVED: review.IN_REVIEW}


class BulkWriter:
    """Collect articles and write them a batch at a time; ``close`` writes the rest.

    ``restore`` (an admin or the operator restoring a backup) keeps each claim's workflow
    state and its history's recorded authorship. Otherwise the importer (``importer_id``)
    brings claims in at most in review, as their submitter, and the file's history is kept
    marked ``imported``: it never counts as authorship or approval here; ``authored`` then
    lists, per claim, the published fields the importer brought in.
    """

    def __init__(self, session: Session, keep: dict[str, bool], pid: Callable, report, *,
                 restore: bool = True, importer_id: int | None = None):
        self.session, self.keep, self.pid, self.report = session, keep, pid, report
        self.restore, self.importer_id = restore, importer_id
        self.authored: list[tuple[int, int, int, list[str]]] = []
        self.pending: list[tuple[dict, str]] = []
        self.claims = 0
        self.imported: list[tuple[int, int, int]] = []  # (file id, new id, claims)
        self.defaults = {m: _defaults(m) for m in (Article, Claim, Source, Note, Event)}
        self.people: dict[str, int | None] = {}
        self.sqlite = session.get_bind().dialect.name == "sqlite"

    def add(self, article: dict, digest: str) -> None:
        self.pending.append((article, digest))
        self.claims += len(article["claims"])
        if self.claims >= BATCH_CLAIMS:
            self.flush()

    def close(self) -> list[tuple[int, int, int]]:
        self.flush()
        return self.imported

    def _insert(self, model, name: str, rows: list[dict]) -> list[int]:
        """Insert the rows; return their ids in order (kept, or given by the database)."""
        if not rows:
            return []
        table = model.__table__
        connection = self.session.connection()
        if self.keep[name]:
            given = [r for r in rows if r["id"] is not None]
            if given:
                connection.execute(insert(table), given)
            if len(given) == len(rows):
                return [r["id"] for r in rows]
        # The database picks the ids of the rest (all of them when the file's are taken).
        fresh = [r for r in rows if not self.keep[name] or r["id"] is None]
        for row in fresh:
            row.pop("id", None)
        result = connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), fresh)
        picked = iter(list(result.scalars()))
        return [r["id"] if "id" in r else next(picked) for r in rows]

    def flush(self) -> None:
        if not self.pending:
            return
        now, pid = utcnow(), self.pid
        base = self.defaults
        article_rows = [base[Article] | {
            "id": a["id"], "title": a["title"][:500], "url": a["url"][:2000],
            "outlet": a["outlet"][:200], "byline": a["byline"][:500],
            "published": _date(a["published"]), "language": a["language"][:8],
            "body": a["body"], "raw": a["body"],
            "captions": [list(c) for c in a.get("captions", [])], "content_hash": digest,
            "blind_review": a.get("blind_review", False),
            "created_by_id": pid(a.get("created_by")),
            "created_at": _time(a.get("created_at")) or now, "updated_at": now}
            for a, digest in self.pending]
        article_ids = self._insert(Article, "article", article_rows)
        claim_rows, owners = [], []
        for (a, _), article_id in zip(self.pending, article_ids, strict=True):
            self.report.article_ids[a["id"]] = article_id
            self.imported.append((a["id"], article_id, len(a["claims"])))
            for c in a["claims"]:
                claim_rows.append(self._claim_row(c, article_id, now))
                owners.append((c, article_id))
        # On SQLite, with the file's claim ids, the children go in first (foreign keys are
        # checked at commit): the claim's insert trigger then indexes it once, with its
        # sources and notes, instead of once per row.
        children_first = self.keep["claim"] and self.sqlite
        if children_first:
            self.session.connection().exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            claim_ids = [r["id"] for r in claim_rows]
        else:
            claim_ids = self._insert(Claim, "claim", claim_rows)
        sources, notes, history = [], [], []
        carried = []  # issue 22: each source's snapshot metadata, or None
        for (c, article_id), claim_id in zip(owners, claim_ids, strict=True):
            sources += [self._source_row(s, claim_id, now) for s in c["sources"]]
            carried += [s.get("snapshot") for s in c["sources"]]
            notes += [base[Note] | {
                "id": n.get("id"), "claim_id": claim_id, "author_id": pid(n["author"]),
                "body": n["body"], "created_at": _time(n["created_at"]) or now}
                for n in c["notes"]]
            # old/new are kept verbatim: ids inside them are those of the exporting instance.
            history += [base[Event] | {
                "id": e.get("id"), "article_id": article_id, "claim_id": claim_id,
                "actor_id": pid(e["actor"]), "action": e["action"][:32], "old": e["old"],
                "new": e["new"], "comment": e["comment"],
                "created_at": _time(e["at"]) or now,
                # Older files' events carry no fields: they record no authorship.
                "fields": list(e.get("fields") or []),
                "imported": bool(e.get("imported", False)) or not self.restore}
                for e in c["history"]]
            if not self.restore:
                self.authored.append((c["id"], article_id, claim_id, _brought_in(c)))
        snapshots.import_snapshots(self.session, zip(self._insert(Source, "source", sources),
                                                     carried, strict=True))
        bodies = [n["body"] for n in notes]
        note_ids = self._insert(Note, "note", notes)
        self._mentions(zip(note_ids, bodies, strict=True))
        if children_first:
            self._insert(Claim, "claim", claim_rows)
        self._insert(Event, "event", history)
        report = self.report
        report.articles += len(article_rows)
        report.claims += len(claim_rows)
        report.sources += len(sources)
        report.notes += len(notes)
        report.events += len(history)
        self.pending.clear()
        self.claims = 0

    def _claim_row(self, c: dict, article_id: int, now: datetime) -> dict:
        pid = self.pid
        row = self.defaults[Claim] | {
            "id": c["id"], "article_id": article_id, "start": c["start"], "end": c["end"],
            "quote": c["quote"], "prefix": c["prefix"][:200], "suffix": c["suffix"][:200],
            "statement": c["statement"], "score": c["score"], "reasons": list(c["reasons"]),
            "origin": c["origin"], "state": c["state"], "verdict": c["verdict"],
            "conclusion": c["conclusion"], "assignee_id": pid(c["assignee"]),
            "submitted_by_id": pid(c["submitted_by"]),
            "submitted_at": _time(c.get("submitted_at")),
            "approved_by_id": pid(c["approved_by"]), "approved_at": _time(c["approved_at"]),
            "orphaned": c.get("orphaned", False), "version": c.get("version", 1),
            "created_at": _time(c.get("created_at")) or now,
            "updated_at": _time(c.get("updated_at")) or now}
        if not self.restore:
            # Imports never manufacture approvals: at most in review, submitted by the
            # importer; nobody in the file approved or submitted anything here.
            row["state"] = _CAPPED.get(row["state"], row["state"])
            in_review = row["state"] == review.IN_REVIEW
            row.update(submitted_by_id=self.importer_id if in_review else None,
                       submitted_at=now if in_review else None,
                       approved_by_id=None, approved_at=None)
        if "claimant" in c:
            row["claimant"] = " ".join(str(c["claimant"] or "").split())[:300]
        if "published_url" in c:
            row["published_url"] = (c["published_url"] or "")[:2000]
        for key in ("rewrite", "needs_context"):  # issue 20: how the statement was made
            if key in c:
                row[key] = list(c[key] or [])
        return row

    def authorship_rows(self, now: datetime) -> list[dict]:
        """Return one ``import_claim`` event per claim: what the importer brought in."""
        base = {k: v for k, v in self.defaults[Event].items() if k != "id"}
        return [base | {
            "article_id": article_id, "claim_id": claim_id,
            "actor_id": self.importer_id, "action": "import_claim", "old": None,
            "new": {"from_id": from_id}, "comment": "", "created_at": now,
            "fields": fields, "imported": False}
            for from_id, article_id, claim_id, fields in self.authored]

    def _source_row(self, s: dict, claim_id: int, now: datetime) -> dict:
        return self.defaults[Source] | {
            "id": s.get("id"), "claim_id": claim_id, "url": s["url"][:2000],
            "title": s["title"][:500], "publisher": s["publisher"][:200],
            "published": _date(s["published"]), "stance": s["stance"],
            "excerpt": s["excerpt"], "archived_url": s["archived_url"][:2000],
            "created_by_id": self.pid(s.get("created_by")),
            "created_at": _time(s.get("created_at")) or now,
            "updated_at": _time(s.get("updated_at")) or now}

    def _mentions(self, notes) -> None:
        rows = set()
        for note_id, body in notes:
            if "@" not in body:
                continue
            for name in mentioned_usernames(body):
                if name not in self.people:
                    self.people[name] = self.session.connection().execute(
                        select(User.id).where(func.lower(User.username) == name)).scalar()
                if self.people[name] is not None:
                    rows.add((note_id, self.people[name]))
        if rows:
            self.session.connection().execute(
                insert(Mention), [{"note_id": n, "user_id": u} for n, u in sorted(rows)])


def _brought_in(c: dict) -> list[str]:
    """Name the published fields an imported claim holds beyond its quote."""
    held = {"statement": c["statement"] != c["quote"], "claimant": bool(c.get("claimant")),
            "verdict": c["verdict"] is not None, "conclusion": bool(c["conclusion"]),
            "sources": bool(c["sources"])}
    return [f for f in review.PUBLISHED_FIELDS if held[f]]

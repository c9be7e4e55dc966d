"""Load a native JSON export into this instance, losslessly, in the caller's transaction.

Ids are kept when none of the file's ids for a table is taken here (always so in an empty
database), so URLs and the history's references stay valid; otherwise that table's rows get
new ids and every reference inside the file is remapped. People are matched by username;
missing ones are created with an unusable password (an admin must set one) and keep the
active flag the file gives them. The caller commits once: a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlmodel import Session, select

from annotator.models import ROLES, Article, Claim, Event, Note, Source, User, Verdict, utcnow
from annotator.services import events
from annotator.services.articles import content_hash
from annotator.services.errors import Duplicate, Invalid
from annotator.services.users import USERNAME_RE

SCHEMA_PATH = Path(__file__).with_name("export.schema.json")
PERSON_FIELDS = ("assignee", "submitted_by", "approved_by")


def unusable_password() -> str:
    """Return a stored hash no password matches: the person must be given a new one."""
    return "!unusable:" + secrets.token_hex(16)


@dataclass
class ImportReport:
    """What an import added."""

    articles: int = 0
    claims: int = 0
    sources: int = 0
    notes: int = 0
    events: int = 0
    verdicts: int = 0
    people_created: list[str] = field(default_factory=list)
    renumbered: list[str] = field(default_factory=list)
    article_ids: dict[int, int] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"Imported {self.articles} articles, {self.claims} claims, {self.sources} "
                 f"sources, {self.notes} notes and {self.events} history events; "
                 f"{self.verdicts} verdicts updated."]
        if self.people_created:
            lines.append("Created (no usable password; set one before they sign in): "
                         + ", ".join(self.people_created))
        if self.renumbered:
            lines.append("New ids were given to: " + ", ".join(self.renumbered))
        return "\n".join(lines)


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def load_document(source: IO[bytes] | IO[str] | str | bytes | dict) -> dict:
    """Parse and validate an export document, raising Invalid with the first problem."""
    if isinstance(source, dict):
        doc = source
    else:
        try:
            doc = json.loads(source) if isinstance(source, str | bytes) else json.load(source)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid(f"The file is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema_version") != "1":
        raise Invalid("The file is not an annotator export (schema_version 1).")
    error = next(iter(sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise Invalid(f"The export does not match its schema at {where}: {error.message[:200]}")
    return doc


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class _Ids:
    """Keep a table's ids when all are free here, else let the database pick new ones."""

    def __init__(self, session: Session, model, wanted: list[int], label: str,
                 report: ImportReport):
        taken = False
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            if session.exec(select(model.id).where(model.id.in_(chunk)).limit(1)).first():
                taken = True
                break
        self.keep = not taken
        self.map: dict[int, int] = {}
        if taken:
            report.renumbered.append(label)

    def new(self, old: int | None) -> int | None:
        return old if self.keep else None


def _people(session: Session, doc: dict, report: ImportReport) -> dict[str, int]:
    records: dict[str, dict] = {p["username"]: p for p in doc.get("people", [])}

    def note(person):
        if person and person["username"] not in records:
            records[person["username"]] = person

    for article in doc["articles"]:
        note(article.get("created_by"))
        for claim in article["claims"]:
            for key in PERSON_FIELDS:
                note(claim.get(key))
            for s in claim["sources"]:
                note(s.get("created_by"))
            for n in claim["notes"]:
                note(n.get("author"))
            for e in claim["history"]:
                note(e.get("actor"))
    ids: dict[str, int] = {}
    for username, record in records.items():
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            if not USERNAME_RE.match(username) or record.get("role") not in ROLES:
                raise Invalid(f"The export names an invalid person: {username[:64]!r}.")
            user = User(username=username, role=record["role"],
                        display_name=(record.get("display_name") or username)[:120],
                        password_hash=unusable_password(), active=record.get("active", True))
            session.add(user)
            session.flush()
            report.people_created.append(username)
        ids[username] = user.id
    return ids


def _verdicts(session: Session, doc: dict, report: ImportReport) -> set[str]:
    for position, v in enumerate(doc.get("verdict_scale", [])):
        row = session.get(Verdict, v["key"]) or Verdict(key=v["key"], label=v["label"])
        row.label, row.colour = v["label"][:64], v["colour"]
        row.alternate_name, row.rating_value = v["alternate_name"][:64], v["rating_value"]
        row.needs_source, row.position = v["needs_source"], position
        session.add(row)
        report.verdicts += 1
    session.flush()
    return set(session.exec(select(Verdict.key)).all())


def _all_ids(doc: dict) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {"article": [], "claim": [], "source": [], "note": [],
                                 "event": []}
    for a in doc["articles"]:
        ids["article"].append(a["id"])
        for c in a["claims"]:
            ids["claim"].append(c["id"])
            ids["source"] += [s["id"] for s in c["sources"] if "id" in s]
            ids["note"] += [n["id"] for n in c["notes"] if "id" in n]
            ids["event"] += [e["id"] for e in c["history"] if "id" in e]
    return ids


def _check_duplicates(session: Session, doc: dict) -> None:
    seen: set[str] = set()
    for a in doc["articles"]:
        digest = a.get("content_hash") or content_hash(a["body"])
        a["content_hash"] = digest
        if digest in seen:
            raise Invalid(f"The export holds the article {a['title'][:80]!r} twice.")
        seen.add(digest)
        existing = session.exec(select(Article).where(Article.content_hash == digest)).first()
        if existing is not None:
            raise Duplicate(f"This instance has the article “{existing.title}” already "
                            f"(id {existing.id}); nothing was imported.", existing.id)


def import_json(session: Session, source: Any, *, actor: User | None = None) -> ImportReport:
    """Import an export document (file, text or dict); the caller commits."""
    doc = load_document(source)
    report = ImportReport()
    _check_duplicates(session, doc)
    verdict_keys = _verdicts(session, doc, report)
    people = _people(session, doc, report)

    def pid(person: dict | None) -> int | None:
        return people[person["username"]] if person else None

    wanted = _all_ids(doc)
    ids = {name: _Ids(session, model, wanted[name], name + "s", report) for name, model in
           (("article", Article), ("claim", Claim), ("source", Source), ("note", Note),
            ("event", Event))}
    now = utcnow()
    for a in doc["articles"]:
        article = Article(
            id=ids["article"].new(a["id"]), title=a["title"][:500], url=a["url"][:2000],
            outlet=a["outlet"][:200], byline=a["byline"][:500], published=_date(a["published"]),
            language=a["language"][:8], body=a["body"], raw=a["body"],
            captions=[list(c) for c in a.get("captions", [])], content_hash=a["content_hash"],
            blind_review=a.get("blind_review", False), created_by_id=pid(a.get("created_by")),
            created_at=_time(a.get("created_at")) or now, updated_at=now)
        session.add(article)
        session.flush()
        report.article_ids[a["id"]] = article.id
        report.articles += 1
        for c in a["claims"]:
            _claim(session, c, article, pid, ids, verdict_keys, report)
        events.record(session, "import_json", actor=actor, article_id=article.id,
                      new={"from_id": a["id"], "claims": len(a["claims"])})
        session.flush()
        session.expunge_all()
    _sync_sequences(session)
    return report


def _claim(session, c: dict, article: Article, pid, ids, verdict_keys, report) -> None:
    if c["verdict"] is not None and c["verdict"] not in verdict_keys:
        raise Invalid(f"Claim {c['id']} has the verdict {c['verdict']!r}, which is not on the "
                      "verdict scale.")
    now = utcnow()
    claim = Claim(
        id=ids["claim"].new(c["id"]), article_id=article.id, start=c["start"], end=c["end"],
        quote=c["quote"], prefix=c["prefix"][:200], suffix=c["suffix"][:200],
        statement=c["statement"], score=c["score"], reasons=list(c["reasons"]),
        origin=c["origin"], state=c["state"], verdict=c["verdict"], conclusion=c["conclusion"],
        assignee_id=pid(c["assignee"]), submitted_by_id=pid(c["submitted_by"]),
        submitted_at=_time(c.get("submitted_at")), approved_by_id=pid(c["approved_by"]),
        approved_at=_time(c["approved_at"]), orphaned=c.get("orphaned", False),
        version=c.get("version", 1), created_at=_time(c.get("created_at")) or now,
        updated_at=_time(c.get("updated_at")) or now)
    session.add(claim)
    session.flush()
    report.claims += 1
    for s in c["sources"]:
        session.add(Source(
            id=ids["source"].new(s.get("id")), claim_id=claim.id, url=s["url"][:2000],
            title=s["title"][:500], publisher=s["publisher"][:200],
            published=_date(s["published"]), stance=s["stance"], excerpt=s["excerpt"],
            archived_url=s["archived_url"][:2000], created_by_id=pid(s.get("created_by")),
            created_at=_time(s.get("created_at")) or now,
            updated_at=_time(s.get("updated_at")) or now))
        report.sources += 1
    for n in c["notes"]:
        session.add(Note(id=ids["note"].new(n.get("id")), claim_id=claim.id,
                         author_id=pid(n["author"]), body=n["body"],
                         created_at=_time(n["created_at"]) or now))
        report.notes += 1
    for e in c["history"]:
        # old/new are kept verbatim: ids inside them are those of the exporting instance.
        session.add(Event(id=ids["event"].new(e.get("id")), article_id=article.id,
                          claim_id=claim.id, actor_id=pid(e["actor"]), action=e["action"][:32],
                          old=e["old"], new=e["new"], comment=e["comment"],
                          created_at=_time(e["at"]) or now))
        report.events += 1


def _sync_sequences(session: Session) -> None:
    """Move PostgreSQL's id sequences past ids written explicitly (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("user", "article", "claim", "source", "note", "event"):
        session.exec(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 - fixed names
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"))

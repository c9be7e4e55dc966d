"""Load a native JSON export into this instance, losslessly, in the caller's transaction.

Ids are kept when none of the file's ids for a table is taken here (always so in an empty
database), so URLs and the history's references stay valid; otherwise that table's rows get
new ids and every reference inside the file is remapped. The import's own events are written
last, after the imported history, so they take fresh ids and never collide with it.

An import acts with the importer's rights:

- people are matched by username (case-insensitively). Only an admin (or the operator at
  the command line, ``actor=None``) may create missing accounts, each with an unusable
  password (an admin must set one), a valid username and a role no higher than the
  importer's. Anyone else gets a clear refusal naming the missing people;
- only an admin may change the verdict scale, and only with valid keys; anyone else's
  import leaves the scale as it is, and a claim whose verdict is not on it is refused;
- imports never manufacture approvals (issue 19): below admin, claims come in at most in
  review, submitted by the importer, whose ``import_claim`` event records the published
  fields they brought in; the file's history is kept, marked ``imported``, and never counts
  as authorship or approval. Only an admin (or the operator) restoring a backup keeps
  approval state and the history's recorded authorship;
- only an admin may import other outlets' fact-checks (``external_factchecks``).

Everything is checked before it is written: ids and numbers in range, no duplicate ids,
strict dates, http(s) addresses, no NUL bytes, offsets inside the body that match the
quote. The caller commits once: a failure leaves nothing behind.

The document is streamed (``json_stream``), never held whole: one pass checks every article
and keeps only ids, people and content hashes; a second pass writes them in bulk
(``json_write``), a batch of claims per INSERT.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from annotator import review
from annotator.models import ROLES, Article, Claim, Event, Note, Source, User, Verdict, utcnow
from annotator.sanitize import MAX_INT, bounded_int, is_safe_url
from annotator.services import events, factchecks, jobs, search
from annotator.services.articles import content_hash
from annotator.services.errors import Duplicate, Forbidden, Invalid, ServiceError
from annotator.services.json_stream import MAX_DEPTH, open_export
from annotator.services.json_write import BulkWriter
from annotator.services.users import USERNAME_RE
from annotator.services.verdicts import _clean as clean_verdict_field

SCHEMA_PATH = (Path(__file__).resolve().parent.parent / "exports" / "export.schema.json")
PERSON_FIELDS = ("assignee", "submitted_by", "approved_by")
VERDICT_KEY_RE = re.compile(r"[a-z0-9_]{1,32}")
MAX_RATING = 1000
MAX_VERSION = MAX_INT


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
    scale_kept: bool = False
    external_factchecks: int = 0  # other outlets' fact-checks added or updated

    def summary(self) -> str:
        lines = [f"Imported {self.articles} articles, {self.claims} claims, {self.sources} "
                 f"sources, {self.notes} notes and {self.events} history events; "
                 f"{self.verdicts} verdicts updated."]
        if self.external_factchecks:
            lines.append(f"Other outlets' fact-checks added or updated: "
                         f"{self.external_factchecks}.")
        if self.scale_kept:
            lines.append("The verdict scale was left as it is: only an admin imports one.")
        if self.people_created:
            lines.append("Created (no usable password; set one before they sign in): "
                         + ", ".join(self.people_created))
        if self.renumbered:
            lines.append("New ids were given to: " + ", ".join(self.renumbered))
        return "\n".join(lines)


@lru_cache(maxsize=1)
def _validators():
    """Return validators for the document's head and for one article (and a fast one)."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    article = {"$schema": schema["$schema"], "$ref": "#/$defs/article",
               "$defs": schema["$defs"]}
    try:
        import jsonschema_rs

        fast = jsonschema_rs.Draft202012Validator(article)
    except Exception:  # noqa: BLE001 - optional accelerator; the exact validator decides
        fast = None
    return (jsonschema.Draft202012Validator(schema),
            jsonschema.Draft202012Validator(article), fast)


def _schema(validator, value, prefix: list[str]) -> None:
    """Raise Invalid naming the first place where ``value`` breaks the schema."""
    try:
        errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.path])
    except RecursionError:
        raise Invalid(f"The file nests deeper than {MAX_DEPTH} levels.") from None
    if errors:
        error = errors[0]
        where = "/".join(prefix + [str(p) for p in error.absolute_path]) or "(top)"
        raise Invalid(f"The export does not match its schema at {where}: {error.message[:200]}")


def _check_head(head: dict) -> None:
    """Check the document's top-level values (its articles come one at a time)."""
    if head.get("schema_version") != "1":
        raise Invalid("The file is not an annotator export (schema_version 1).")
    _schema(_validators()[0], head, [])
    _walk_strings(head, "The file")
    for v in head.get("verdict_scale", []):
        if v.get("rating_value") is not None:
            _int(v["rating_value"], f"Verdict {str(v.get('key'))[:32]!r}'s rating value",
                 high=MAX_RATING)


def _check_article_schema(article: dict, index: int) -> None:
    _, exact, fast = _validators()
    if fast is not None:
        try:
            if fast.is_valid(article):
                return
        except Exception:  # noqa: BLE001, S110 - e.g. a number it cannot hold: ask the exact one
            pass
    _schema(exact, article, ["articles", str(index)])


# -- checks before anything is written ------------------------------------------------------


def _time(value: str | None, where: str = "a time") -> datetime | None:
    """Parse an ISO 8601 time strictly; naive times are UTC. Raise Invalid otherwise."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError, TypeError):
        raise Invalid(f"{where} is not a valid date and time: {str(value)[:40]!r}.") from None
    if not 1900 <= moment.year <= 9999:
        raise Invalid(f"{where} is out of range: {str(value)[:40]!r}.")
    return moment


def _date(value: str | None, where: str = "a date") -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except (ValueError, TypeError):
        raise Invalid(f"{where} is not a valid date: {str(value)[:40]!r}.") from None


def _int(value, where: str, *, low: int = 1, high: int = MAX_INT) -> int:
    number = bounded_int(value, low=low, high=high)
    if number is None:
        raise Invalid(f"{where} must be a whole number from {low} to {high}.")
    return number


def _walk_strings(value, where: str) -> None:
    """Refuse NUL bytes anywhere (PostgreSQL cannot store them)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise Invalid(f"{where} contains a NUL byte.")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _check_article(a: dict, unique, nul: bool = True) -> None:
    """Check what the schema cannot say: ranges, uniqueness, dates, URLs, offsets."""
    if nul:
        _walk_strings(a, "The file")
    where = f"Article {a['id']}"
    unique("article", a["id"], "An article's id")
    body = a["body"]
    if a["url"] and not is_safe_url(a["url"]):
        raise Invalid(f"{where} has an address that is not a plain http(s) URL.")
    _date(a.get("published"), f"{where}'s published date")
    _time(a.get("created_at"), f"{where}'s creation time")
    for pair in a.get("captions", []):
        start, end = (_int(x, f"{where}'s caption offsets", low=0) for x in pair)
        if not start <= end <= len(body):
            raise Invalid(f"{where} has a caption outside its text.")
    for c in a["claims"]:
        _check_claim(c, body, unique)


def _check_claim(c: dict, body: str, unique) -> None:
    where = f"Claim {c['id']}"
    unique("claim", c["id"], "A claim's id")
    start = _int(c["start"], f"{where}'s start", low=0)
    end = _int(c["end"], f"{where}'s end", low=0)
    if not start < end:
        raise Invalid(f"{where} ends before it starts.")
    if not c.get("orphaned", False):
        if end > len(body):
            raise Invalid(f"{where} runs past the end of its article's text.")
        if body[start:end] != c["quote"]:
            raise Invalid(f"{where}'s quote is not the article's text at {start}-{end}.")
    if "version" in c:
        _int(c["version"], f"{where}'s version", high=MAX_VERSION)
    for key in ("submitted_at", "approved_at", "created_at", "updated_at"):
        _time(c.get(key), f"{where}'s {key.replace('_', ' ')}")
    url = c.get("published_url") or ""
    if url and not is_safe_url(url):
        raise Invalid(f"{where}'s published address is not a plain http(s) URL.")
    for s in c["sources"]:
        if "id" in s:
            unique("source", s["id"], "A source's id")
        if not is_safe_url(s["url"]) or (s["archived_url"]
                                         and not is_safe_url(s["archived_url"])):
            raise Invalid(f"{where} has a source whose address is not a plain http(s) URL.")
        _date(s.get("published"), f"{where}'s source date")
        for key in ("created_at", "updated_at"):
            _time(s.get(key), f"{where}'s source time")
    for n in c["notes"]:
        if "id" in n:
            unique("note", n["id"], "A note's id")
        _time(n.get("created_at"), f"{where}'s note time")
    for e in c["history"]:
        if "id" in e:
            unique("event", e["id"], "A history event's id")
        _time(e.get("at"), f"{where}'s history time")


# -- ids, people, verdicts -----------------------------------------------------------------


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
        if taken:
            report.renumbered.append(label)

    def new(self, old: int | None) -> int | None:
        return old if self.keep else None


def _importer_role(actor: User | None) -> str:
    # The operator at the command line (no --as) acts with admin rights.
    return review.ADMIN if actor is None else actor.role


class _Found:
    """What the checking pass keeps of the articles: ids, people and content hashes."""

    def __init__(self, head: dict):
        self.ids: dict[str, list[int]] = {k: [] for k in ("article", "claim", "source",
                                                          "note", "event")}
        self.records: dict[str, dict] = {p["username"]: p for p in head.get("people", [])}
        self.hashes: list[str] = []

    def person(self, person: dict | None) -> None:
        if person and person["username"] not in self.records:
            self.records[person["username"]] = person

    def add(self, article: dict) -> None:
        ids, person = self.ids, self.person
        ids["article"].append(article["id"])
        person(article.get("created_by"))
        for claim in article["claims"]:
            ids["claim"].append(claim["id"])
            for key in PERSON_FIELDS:
                person(claim.get(key))
            for s in claim["sources"]:
                person(s.get("created_by"))
                if "id" in s:
                    ids["source"].append(s["id"])
            for n in claim["notes"]:
                person(n.get("author"))
                if "id" in n:
                    ids["note"].append(n["id"])
            for e in claim["history"]:
                person(e.get("actor"))
                if "id" in e:
                    ids["event"].append(e["id"])


def _people(session: Session, records: dict[str, dict], report: ImportReport,
            role: str) -> dict[str, int]:
    admin = review.role_at_least(role, review.ADMIN)
    ids: dict[str, int] = {}
    missing: list[str] = []
    for username, record in records.items():
        user = session.exec(select(User).where(
            func.lower(User.username) == username.lower())).first()
        if user is not None:
            ids[username] = user.id
            continue
        if not admin:
            missing.append(username)
            continue
        if not USERNAME_RE.fullmatch(username):
            raise Invalid(f"The export names an invalid username: {username[:64]!r}. A "
                          "username has 2 to 64 letters, digits, dots, dashes or underscores.")
        wanted = record.get("role")
        if wanted not in ROLES or not review.role_at_least(role, wanted):
            raise Forbidden(f"The export gives {username!r} the role {str(wanted)[:16]!r}, "
                            "which is above yours.")
        display = " ".join(str(record.get("display_name") or username).split())[:120]
        user = User(username=username, role=wanted, display_name=display or username,
                    password_hash=unusable_password(), active=record.get("active", True))
        session.add(user)
        session.flush()
        report.people_created.append(username)
        ids[username] = user.id
    if missing:
        shown = ", ".join(repr(m[:64]) for m in sorted(missing)[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise Forbidden(f"The export names people who have no account here: {shown}{more}. "
                        "Only an admin may import accounts; ask an admin to create them "
                        "first.")
    return ids


def _verdicts(session: Session, doc: dict, report: ImportReport, role: str) -> set[str]:
    scale = doc.get("verdict_scale", [])
    if scale and not review.role_at_least(role, review.ADMIN):
        report.scale_kept = True
        return set(session.exec(select(Verdict.key)).all())
    for position, v in enumerate(scale):
        key = v["key"]
        if not VERDICT_KEY_RE.fullmatch(key):
            raise Invalid(f"The verdict key {key[:40]!r} is not valid: use 1 to 32 lowercase "
                          "letters, digits or underscores.")
        try:
            values = {f: clean_verdict_field(f, v[f]) for f in
                      ("label", "colour", "alternate_name", "rating_value", "needs_source")}
        except ServiceError as exc:
            raise Invalid(f"Verdict {key!r}: {exc.message}") from None
        row = session.get(Verdict, key) or Verdict(key=key, label=values["label"])
        for name, value in values.items():
            setattr(row, name, value)
        row.position = position
        session.add(row)
        report.verdicts += 1
    session.flush()
    return set(session.exec(select(Verdict.key)).all())


def _digest(article: dict) -> str:
    return article.get("content_hash") or content_hash(article["body"])


def _check_duplicates(session: Session, hashes: list[str]) -> None:
    for i in range(0, len(hashes), 500):
        existing = session.exec(select(Article).where(
            Article.content_hash.in_(hashes[i:i + 500])).order_by(Article.id)).first()
        if existing is not None:
            raise Duplicate(f"This instance has the article “{existing.title}” already "
                            f"(id {existing.id}); nothing was imported.", existing.id)


# -- the import ----------------------------------------------------------------------------


@jobs.importer("json")
def import_json(session: Session, source: Any, *, actor: User | None = None) -> ImportReport:
    """Import an export document (file, text, bytes or dict) as ``actor``; the caller commits.

    ``actor=None`` is the operator at the command line, with admin rights. The document is
    read twice as a stream: once to check all of it, once to write it in bulk.
    """
    with open_export(source) as document:
        return _import(session, document, actor)


def _import(session: Session, document, actor: User | None) -> ImportReport:
    head = document.head()
    _check_head(head)
    role = _importer_role(actor)
    if head.get("external_factchecks") and not review.role_at_least(role, review.ADMIN):
        raise Forbidden("Only an admin may import other outlets' fact-checks: this file "
                        "carries external_factchecks, so nothing was imported. Remove them "
                        "from the file, or ask an admin to import it.")
    found = _check_articles(session, document, head, role)
    if actor is not None and (not actor.active
                              or not review.role_at_least(actor.role, review.EDITOR)):
        raise Forbidden("Only an editor or an admin may import an export.")
    report = ImportReport()
    _check_duplicates(session, found.hashes)
    _verdicts(session, head, report, role)
    people = _people(session, found.records, report, role)

    def pid(person: dict | None) -> int | None:
        return people[person["username"]] if person else None

    keep = {name: _Ids(session, model, found.ids[name], name + "s", report).keep
            for name, model in (("article", Article), ("claim", Claim), ("source", Source),
                                ("note", Note), ("event", Event))}
    restore = review.role_at_least(role, review.ADMIN)
    writer = BulkWriter(session, keep, pid, report, restore=restore,
                        importer_id=actor.id if actor is not None else None)
    search.defer_bulk(session)
    for article, digest in zip(document.articles(), found.hashes, strict=True):
        writer.add(article, digest)
    imported = writer.close()
    search.index_bulk(session, [article_id for _from, article_id, _n in imported])
    if head.get("external_factchecks"):
        loaded = factchecks.import_records(session, head["external_factchecks"])
        report.external_factchecks = loaded.created + loaded.updated
    # The imported history keeps its ids: move the sequences past them first, then record
    # this import, so its events take fresh ids after every imported one.
    _sync_sequences(session)
    authored = writer.authorship_rows(utcnow())
    for i in range(0, len(authored), 1000):
        session.connection().execute(insert(Event.__table__), authored[i:i + 1000])
    for from_id, article_id, claim_count in imported:
        events.record(session, "import_json", actor=actor, article_id=article_id,
                      new={"from_id": from_id, "claims": claim_count})
    session.flush()
    return report


def _check_articles(session: Session, document, head: dict, role: str) -> _Found:
    """Check every article (schema, values, verdicts) before anything is written."""
    seen: dict[str, set[int]] = {k: set() for k in ("article", "claim", "source", "note",
                                                    "event")}

    def unique(kind: str, value, where: str) -> None:
        number = _int(value, where)
        if number in seen[kind]:
            raise Invalid(f"The export has two {kind}s with the id {number}.")
        seen[kind].add(number)

    verdict_keys = set(session.exec(select(Verdict.key)).all())
    if review.role_at_least(role, review.ADMIN):
        verdict_keys |= {v["key"] for v in head.get("verdict_scale", [])}
    found, digests = _Found(head), set()
    nul = document.may_hold_nul()
    for index, article in enumerate(document.articles()):
        _check_article_schema(article, index)
        _check_article(article, unique, nul)
        for c in article["claims"]:
            if c["verdict"] is not None and c["verdict"] not in verdict_keys:
                raise Invalid(f"Claim {c['id']} has the verdict {c['verdict'][:40]!r}, which "
                              "is not on this desk's verdict scale; only an admin may import "
                              "a scale.")
        digest = _digest(article)
        if digest in digests:
            raise Invalid(f"The export holds the article {article['title'][:80]!r} twice.")
        digests.add(digest)
        found.hashes.append(digest)
        found.add(article)
    return found


def _sync_sequences(session: Session) -> None:
    """Move PostgreSQL's id sequences past ids written explicitly (SQLite needs nothing)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("user", "article", "claim", "source", "note", "event"):
        session.exec(text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608 - fixed names
            f"COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"))

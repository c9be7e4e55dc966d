"""ClaimReview (schema.org JSON-LD) for approved claims: one per claim, or a feed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from sqlmodel import Session

from annotator.exports.filters import ExportFilter
from annotator.exports.jsonseq import json_sequence
from annotator.exports.people import verdict_scale
from annotator.exports.rows import iter_grouped
from annotator.models import Claim
from annotator.presenters import iso, loads

CONTEXT = "https://schema.org"
APPROVED = "approved"
# JSON-LD often ends up inside an HTML <script> element: with these written as \u escapes
# no text (a conclusion holding "</script>" or "<!--") can end the element early.
_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
ORGANISATION_WORDS = frozenset((
    "ministry", "ministries", "government", "department", "office", "party", "council",
    "committee", "agency", "association", "union", "inc", "ltd", "llc", "corporation",
    "company", "group", "police", "army", "commission", "university", "institute",
    "foundation", "news", "newspaper", "tv", "radio", "campaign",
))


def html_safe(text: str) -> str:
    """Escape <, > and & in serialised JSON (valid JSON still, and safe inside <script>)."""
    return text.translate(_HTML_SAFE)


def dumps(doc: dict) -> str:
    """Serialise a ClaimReview document as HTML-safe JSON."""
    return html_safe(json.dumps(doc, ensure_ascii=False))


def public_path(claim_id: int) -> str:
    """Return the stable public path of a claim's fact-check page."""
    return f"/claims/{claim_id}/public"


class Scale:
    """The verdict scale as ClaimReview needs it: names, numbers and their bounds."""

    def __init__(self, session: Session):
        verdicts = verdict_scale(session)
        self.by_key = {v.key: v for v in verdicts}
        numbers = [v.rating_value for v in verdicts if v.rating_value is not None]
        # Google reads worstRating >= 1 and worst < best; otherwise the numbers are left out.
        self.best = max(numbers) if numbers else None
        self.worst = min(numbers) if numbers else None
        self.numeric = bool(numbers) and self.worst >= 1 and self.worst < self.best

    def rating(self, key: str | None) -> dict:
        verdict = self.by_key.get(key or "")
        rating = {"@type": "Rating",
                  "alternateName": (verdict.alternate_name or verdict.label) if verdict
                  else (key or "Unrated")}
        if verdict is not None and verdict.rating_value is not None and self.numeric:
            rating.update(ratingValue=verdict.rating_value, bestRating=self.best,
                          worstRating=self.worst)
        return rating


def _base(base_url: str) -> str:
    return (base_url or "").rstrip("/")


def desk(desk_name: str, base_url: str) -> dict:
    """Describe the publishing desk as a schema.org Organization."""
    return {"@type": "Organization", "name": desk_name or "Fact-check desk",
            "url": _base(base_url) + "/"}


def _appearance(article) -> dict | None:
    if not article.url:
        return None
    work = {"@type": "NewsArticle", "url": article.url, "headline": article.title[:110]}
    if article.published:
        work["datePublished"] = iso(article.published)
    if article.outlet:
        work["publisher"] = {"@type": "Organization", "name": article.outlet}
    if article.byline:
        work["author"] = claimant_node(article.byline, article.outlet)
    return work


# A person's name: two to five words, each capitalised or a name particle ("van", "bin").
_PARTICLES = frozenset(("de", "da", "di", "del", "der", "van", "von", "bin", "al", "el", "la",
                        "le", "du", "dos", "ibn", "y"))
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b|[/&@+]|\d")


def _looks_like_person(name: str) -> bool:
    """Tell whether a name reads as a person's ("Jane Reporter", "Ursula von der Leyen")."""
    words = name.replace(",", " ").split()
    if not 2 <= len(words) <= 5 or _ACRONYM.search(name):
        return False
    return all(w[:1].isupper() or w.lower() in _PARTICLES for w in words)


def claimant_node(name: str, outlet: str = "") -> dict:
    """Describe who made the claim: an Organization for the outlet, a body or an acronym
    ("RFE/RL", "The ministry", "Officials"), a Person for a person's name."""
    words = {w.strip(".,()").lower() for w in name.split()}
    organisation = (name.strip().lower() == (outlet or "").strip().lower()
                    or bool(words & ORGANISATION_WORDS) or not _looks_like_person(name))
    return {"@type": "Organization" if organisation else "Person", "name": name}


def _item_reviewed(article, claimant: str = "") -> dict:
    item: dict = {"@type": "Claim"}
    appearance = _appearance(article)
    if appearance:
        item["appearance"] = appearance
    who = claimant or article.byline or article.outlet
    if who:
        item["author"] = claimant_node(who, article.outlet)
    if article.published:
        item["datePublished"] = iso(article.published)
    return item


def review_dates(claim, history) -> tuple[str | None, str | None]:
    """Return (datePublished, dateModified): first approval, and the latest after a reopen."""
    approvals = [e.created_at for e in history if e.action == "approve"]
    reopened = any(e.action == "reopen" for e in history)
    latest = claim.approved_at or (approvals[-1] if approvals else None)
    first = approvals[0] if approvals else latest
    modified = latest if reopened and latest is not None and latest != first else None
    return iso(first), iso(modified)


def claim_review(claim, article, history, scale: Scale, *, base_url: str,
                 desk_name: str, sources=None) -> dict:
    """Shape one approved claim as a ClaimReview node (without @context)."""
    base = _base(base_url)
    published, modified = review_dates(claim, history)
    node = {
        "@type": "ClaimReview",
        "url": claim.published_url or f"{base}{public_path(claim.id)}",
        "claimReviewed": claim.statement,
        "reviewRating": scale.rating(claim.verdict),
        "itemReviewed": _item_reviewed(article, claim.claimant or ""),
        "author": desk(desk_name, base_url),
        "datePublished": published,
    }
    if modified:
        node["dateModified"] = modified
    if claim.conclusion:
        node["reviewBody"] = claim.conclusion
    if article.language:
        node["inLanguage"] = article.language
    based_on = _based_on(history, base)
    if based_on:
        node["isBasedOn"] = based_on
    cited = citations(sources or (), base)
    if cited:
        node["citation"] = cited
    return {k: v for k, v in node.items() if v is not None}


def citations(sources, base: str) -> list[dict]:
    """Each source as a cited work; ``archivedAt`` is the desk's snapshot, when it has one."""
    out = []
    for s in sources:
        node = {"@type": "CreativeWork", "url": s.url}
        if s.title:
            node["name"] = s.title
        if s.publisher:
            node["publisher"] = {"@type": "Organization", "name": s.publisher}
        archived = getattr(s, "_mapping", {}).get("snapshot_status")
        if archived == "stored":
            node["archivedAt"] = f"{base}/sources/{s.id}/snapshot"
        elif s.archived_url:
            node["archivedAt"] = s.archived_url
        out.append(node)
    return out


def _based_on(history, base: str) -> list[dict]:
    """The earlier fact-checks a reviewer linked as "same claim as" (history link_match)."""
    out, seen = [], set()
    for event in history:
        value = loads(event.new) if event.action == "link_match" else None
        if not isinstance(value, dict):
            continue
        key = (value.get("kind"), value.get("claim_id") or value.get("factcheck_id"))
        if key in seen:
            continue
        seen.add(key)
        node = {"@type": "ClaimReview", "claimReviewed": value.get("statement", "")}
        url = value.get("url") or (f"{base}{public_path(value['claim_id'])}"
                                    if value.get("kind") == "desk" and value.get("claim_id")
                                    else "")
        if url:
            node["url"] = url
        if value.get("identifier"):
            node["identifier"] = value["identifier"]
        if value.get("publisher"):
            node["author"] = {"@type": "Organization", "name": value["publisher"]}
        out.append(node)
    return out


def _approved_only(filters: ExportFilter) -> ExportFilter:
    states = [APPROVED] if not filters.states or APPROVED in filters.states else ["-none-"]
    return ExportFilter(article_ids=filters.article_ids, states=states,
                        verdicts=filters.verdicts, since=filters.since, until=filters.until)


def export_claimreview(session: Session, filters: ExportFilter | None = None, *,
                       base_url: str = "", desk_name: str = "",
                       progress: Callable[[int], None] | None = None,
                       **_options) -> Iterator[str]:
    """Stream a feed of every selected approved claim: {"@context", "@graph": [...]}."""
    filters = _approved_only(filters or ExportFilter())
    scale = Scale(session)
    yield '{"@context":"https://schema.org","@graph":['
    for chunk in json_sequence(
            claim_review(row.claim, article, row.history, scale, base_url=base_url,
                         desk_name=desk_name, sources=row.sources)
            for article, row in iter_grouped(session, filters, children=("sources", "history"),
                                             include_empty=False, progress=progress)):
        yield html_safe(chunk)
    yield "]}\n"


def single_claimreview(session: Session, claim: Claim, *, base_url: str,
                       desk_name: str) -> dict | None:
    """Return one approved claim's ClaimReview document, or None if it is not approved."""
    if claim.state != APPROVED:
        return None
    filters = ExportFilter(article_ids=[claim.article_id], states=[APPROVED])
    extra = [Claim.__table__.c.id == claim.id]
    for article, row in iter_grouped(session, filters, children=("sources", "history"),
                                     include_empty=False, extra=extra):
        return {"@context": CONTEXT, **claim_review(row.claim, article, row.history,
                                                    Scale(session), base_url=base_url,
                                                    desk_name=desk_name,
                                                    sources=row.sources)}
    return None

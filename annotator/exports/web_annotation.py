"""W3C Web Annotation Data Model: each claim an Annotation on its article's text.

``export_wadm`` streams one AnnotationCollection whose ``first`` AnnotationPage embeds the
Annotations as ``items``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

from sqlmodel import Session

from annotator import __version__
from annotator.exports.filters import ExportFilter
from annotator.exports.jsonseq import json_sequence
from annotator.exports.people import People, verdict_scale
from annotator.exports.rows import count_claims, iter_grouped
from annotator.presenters import iso

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def _base(base_url: str) -> str:
    return (base_url or "").rstrip("/")


def _agent(person: dict | None) -> dict | None:
    if not person:
        return None
    return {"type": "Person", "nickname": person["username"],
            "name": person["display_name"] or person["username"]}


def _text(value: str, purpose: str, fmt: str = "text/plain", **extra) -> dict:
    # No id: the W3C tests take a body with an id and no source for an External Web
    # Resource, which may not carry a purpose.
    body = {"type": "TextualBody", "purpose": purpose, "value": value, "format": fmt}
    body.update({k: v for k, v in extra.items() if v})
    return body


def annotation(claim, article, sources, notes, labels: dict[str, str], person, *,
               base_url: str) -> dict:
    """Shape one claim as an Annotation (without @context)."""
    base = _base(base_url)
    ident = f"{base}/claims/{claim.id}"
    # Bodies come in a fixed order: statement, verdict label, verdict key, conclusion,
    # notes, sources.
    bodies = [_text(claim.statement, "describing", language=article.language)]
    if claim.verdict:
        bodies.append(_text(labels.get(claim.verdict, claim.verdict), "assessing"))
        bodies.append(_text(claim.verdict, "tagging"))
    if claim.conclusion:
        bodies.append(_text(claim.conclusion, "assessing", language=article.language,
                            creator=_agent(person(claim.submitted_by_id))))
    for note in notes:
        bodies.append(_text(note.body, "commenting", "text/markdown",
                            creator=_agent(person(note.author_id)),
                            created=iso(note.created_at)))
    for source in sources:
        label = f"{source.stance}: {source.title}" if source.title else source.stance
        bodies.append({"id": f"{ident}#source-{source.id}", "type": "SpecificResource",
                       "purpose": "linking", "source": source.url, "label": label})
    return {
        "id": ident,
        "type": "Annotation",
        "motivation": "assessing" if claim.verdict else "highlighting",
        "created": iso(claim.created_at),
        "modified": iso(claim.updated_at),
        "generator": {"id": f"{base}/", "type": "Software", "name": f"annotator {__version__}"},
        "body": bodies,
        "target": {
            "source": article.url or f"{base}/articles/{article.id}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": claim.quote, "prefix": claim.prefix,
                 "suffix": claim.suffix},
                {"type": "TextPositionSelector", "start": claim.start, "end": claim.end},
            ],
        },
    }


def collection_id(base_url: str, filters: ExportFilter) -> str:
    """Name the collection by the export URL that produces it."""
    query = urlencode([("article", a) for a in filters.article_ids]
                      + [("state", s) for s in filters.states]
                      + [("verdict", v) for v in filters.verdicts])
    return f"{_base(base_url)}/api/v1/exports/wadm" + (f"?{query}" if query else "")


def export_wadm(session: Session, filters: ExportFilter | None = None, *, base_url: str = "",
                progress: Callable[[int], None] | None = None, **_options) -> Iterator[str]:
    """Stream one AnnotationCollection with every selected claim in its first page."""
    filters = filters or ExportFilter()
    person = People(session)
    labels = {v.key: v.label for v in verdict_scale(session)}
    total = count_claims(session, filters)
    ident = collection_id(base_url, filters)
    page_id = ident + ("&" if "?" in ident else "?") + "page=0"
    label = "annotator claims"
    if len(filters.article_ids) == 1:
        label = f"annotator claims of article {filters.article_ids[0]}"
    head = {"@context": CONTEXT, "id": ident, "type": "AnnotationCollection", "label": label,
            "total": total, "first": {"id": page_id, "type": "AnnotationPage",
                                      "partOf": {"id": ident, "label": label, "total": total},
                                      "startIndex": 0}}
    text = json.dumps(head, ensure_ascii=False)
    yield text[:-2] + ',"items":['
    yield from json_sequence(
        annotation(row.claim, article, row.sources, row.notes, labels, person,
                   base_url=base_url)
        for article, row in iter_grouped(session, filters, children=("sources", "notes"),
                                         include_empty=False, progress=progress))
    # Close items and the page, then name the last page: the same one.
    yield f']}},"last":{json.dumps(page_id)}}}\n'


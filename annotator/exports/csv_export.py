"""CSV for spreadsheets: one row per claim, UTF-8 with a byte-order mark, formula-safe."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator

from sqlmodel import Session

from annotator.exports.filters import ExportFilter
from annotator.exports.people import People, verdict_scale
from annotator.exports.rows import iter_grouped
from annotator.presenters import iso

COLUMNS = (
    "article_id", "article_title", "article_url", "claim_id", "claim_url", "state",
    "statement", "quote", "verdict", "verdict_label", "conclusion", "assignee",
    "submitted_by", "approved_by", "approved_at", "score", "sources", "notes", "updated_at",
    "claimant",  # added last: spreadsheets that read columns by position keep working
    # Issue 22: sources archived, quotes found on their pages, sources changed or gone.
    "sources_archived", "quotes_found", "sources_at_risk",
)
# A spreadsheet runs a cell that starts with one of these as a formula (or DDE command).
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 500


# Invisible characters a spreadsheet may skip before it looks for a formula sign.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def neutralise(value) -> str:
    """Return the cell as text, with a leading apostrophe if it would start a formula.

    Leading white space (NBSP and other Unicode spaces included) and invisible characters
    are looked through, and full-width or small variants (＝ ＋ － ＠ ﹦) count as the
    sign they stand for: a spreadsheet may treat them so.
    """
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_LEAD):
        return "'" + text
    rest = text.lstrip().lstrip(_INVISIBLE).lstrip()
    if rest and (rest != text or not rest[0].isascii()):
        first = unicodedata.normalize("NFKC", rest[0])[:1]
        if first in FORMULA_LEAD or rest.startswith(FORMULA_LEAD):
            return "'" + text
    return text


def sources_cell(sources) -> str:
    """Join a claim's sources in one cell: "stance: title <url>; ..."."""
    return "; ".join(
        f"{s.stance}: {s.title} <{s.url}>" if s.title else f"{s.stance}: <{s.url}>"
        for s in sources)


def evidence_cells(sources) -> tuple[int, int, int]:
    """Count a claim's sources archived, with their quote found, and changed, moved or gone."""
    snaps = [s._mapping for s in sources if hasattr(s, "_mapping")]
    return (sum(m.get("snapshot_status") == "stored" for m in snaps),
            sum(m.get("snapshot_quote") == "found" for m in snaps),
            sum(m.get("snapshot_health") in ("changed", "moved", "gone") for m in snaps))


def export_csv(session: Session, filters: ExportFilter | None = None, *, base_url: str = "",
               progress: Callable[[int], None] | None = None, **_options) -> Iterator[str]:
    """Stream the CSV text; the first chunk starts with the byte-order mark."""
    filters = filters or ExportFilter()
    person = People(session)
    labels = {v.key: v.label for v in verdict_scale(session)}
    base = (base_url or "").rstrip("/")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    grouped = iter_grouped(session, filters, children=("sources", "notes"), include_empty=False,
                           progress=progress)
    for rows, (article, row) in enumerate(grouped, 1):
        c = row.claim
        writer.writerow([neutralise(v) for v in (
            article.id, article.title, article.url, c.id, f"{base}/claims/{c.id}", c.state,
            c.statement, c.quote, c.verdict or "", labels.get(c.verdict or "", ""),
            c.conclusion, person.username(c.assignee_id), person.username(c.submitted_by_id),
            person.username(c.approved_by_id), iso(c.approved_at) or "", c.score,
            sources_cell(row.sources), len(row.notes), iso(c.updated_at) or "", c.claimant,
            *evidence_cells(row.sources))])
        if rows % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

"""The export formats by name: writer, media type and file extension, for CLI, UI and API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlmodel import Session

from annotator.exports.claimreview import export_claimreview
from annotator.exports.csv_export import export_csv
from annotator.exports.filters import ExportFilter
from annotator.exports.json_export import export_json
from annotator.exports.rows import count_claims
from annotator.exports.web_annotation import MEDIA_TYPE as WADM_MEDIA_TYPE
from annotator.exports.web_annotation import export_wadm


@dataclass(frozen=True)
class Format:
    """One export format."""

    name: str
    title: str
    writer: Callable[..., Iterator[str]]
    media_type: str
    extension: str
    approved_only: bool = False

    @property
    def content_type(self) -> str:
        """Return the media type with its charset, as a download's Content-Type header."""
        return self.media_type if "charset" in self.media_type else (
            f"{self.media_type}; charset=utf-8")


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("json", "Native JSON (lossless archive)", export_json, "application/json", "json"),
    Format("claimreview", "ClaimReview JSON-LD (approved claims)", export_claimreview,
           "application/ld+json", "jsonld", approved_only=True),
    Format("wadm", "W3C Web Annotations", export_wadm, WADM_MEDIA_TYPE, "jsonld"),
    Format("csv", "CSV for spreadsheets", export_csv, "text/csv; charset=utf-8", "csv"),
)}


def filename(fmt: Format, filters: ExportFilter) -> str:
    """Name the download after the format and, for one article, the article."""
    stem = "annotator-export" if fmt.name == "json" else f"annotator-{fmt.name}"
    if len(filters.article_ids) == 1:
        stem = (f"annotator-article-{filters.article_ids[0]}" if fmt.name == "json"
                else f"annotator-{fmt.name}-article-{filters.article_ids[0]}")
    return f"{stem}.{fmt.extension}"


def expected_claims(session: Session, fmt: Format, filters: ExportFilter) -> int:
    """Count the claims an export will hold, for a progress bar."""
    if fmt.approved_only:
        if filters.states and "approved" not in filters.states:
            return 0
        filters = ExportFilter(article_ids=filters.article_ids, states=["approved"],
                               verdicts=filters.verdicts, since=filters.since,
                               until=filters.until)
    return count_claims(session, filters)


def run_export(session: Session, name: str, filters: ExportFilter | None = None, *,
               base_url: str = "", desk_name: str = "",
               progress: Callable[[int], None] | None = None) -> Iterator[str]:
    """Stream the named export as text chunks."""
    return FORMATS[name].writer(session, filters or ExportFilter(), base_url=base_url,
                                desk_name=desk_name, progress=progress)

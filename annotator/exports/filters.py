"""Which claims an export takes: the filter, and reading it from a query string or the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from annotator import review
from annotator.models import Claim
from annotator.sanitize import MAX_INT

_claims = Claim.__table__


@dataclass
class ExportFilter:
    """Which claims to export; empty means everything.

    ``since`` and ``until`` bound the claim's last change (``updated_at``): since is
    inclusive, until exclusive. ``parse_day`` turns a plain date into the right bound.
    """

    article_ids: list[int] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    # Claims whose verdict and conclusion the reader may not see (blind second review).
    hidden: set[int] = field(default_factory=set)
    # Sentences the proposal budget held back go out only when asked for, by this or by
    # ``states`` naming ``held_back`` (issue 20).
    held_back: bool = False

    @property
    def narrows_claims(self) -> bool:
        """Tell whether the filter leaves out some claims of the selected articles."""
        return bool(self.states or self.verdicts or self.since or self.until)

    def conditions(self) -> list:
        """Return the WHERE conditions on the claim table."""
        # Sentences the proposal budget held back are no desk work: out unless asked.
        where = ([] if self.held_back or self.states
                 else [_claims.c.state != review.HELD_BACK])
        if self.article_ids:
            where.append(_claims.c.article_id.in_(self.article_ids))
        if self.states:
            where.append(_claims.c.state.in_(self.states))
        if self.verdicts:
            where.append(_claims.c.verdict.in_(self.verdicts))
            if self.hidden:
                # Blind review: a hidden verdict must not decide what is exported.
                where.append(_claims.c.id.not_in(sorted(self.hidden)))
        if self.since:
            where.append(_claims.c.updated_at >= _utc(self.since))
        if self.until:
            where.append(_claims.c.updated_at < _utc(self.until))
        return where

    def as_params(self) -> dict:
        """Return the filter as JSON-ready values (a background job keeps them)."""
        return {"article_ids": list(self.article_ids), "states": list(self.states),
                "verdicts": list(self.verdicts),
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "hidden": sorted(self.hidden), "held_back": self.held_back}

    @classmethod
    def from_params(cls, params: dict) -> ExportFilter:
        """Rebuild a filter from ``as_params`` output."""
        return cls(article_ids=[int(a) for a in params.get("article_ids") or []],
                   states=list(params.get("states") or []),
                   verdicts=list(params.get("verdicts") or []),
                   since=datetime.fromisoformat(params["since"]) if params.get("since") else None,
                   until=datetime.fromisoformat(params["until"]) if params.get("until") else None,
                   hidden=set(params.get("hidden") or []),
                   held_back=bool(params.get("held_back")))


def _utc(value: datetime) -> datetime:
    # Timestamp columns take aware values only, and store UTC.
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def parse_day(value: str | None, *, end: bool = False) -> datetime | None:
    """Parse a --since/--until value: a date (YYYY-MM-DD) or an ISO timestamp.

    A plain date as the end of a range means "up to and including that day".
    Raise ValueError with a readable message for anything else.
    """
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(0), tzinfo=UTC)
            if end:
                # The last day there is has no next day: no upper bound then.
                return moment + timedelta(days=1) if day < date.max else None
            return moment
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not a date like 2026-05-20") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        # Checked before any export starts: year 1 at +14:00 is no moment in UTC.
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value[:40]!r} is out of the range of dates") from None


def filters_from_query(args) -> ExportFilter:
    """Build a filter from query-string style args (article, state, verdict, since, until).

    ``args`` needs ``getlist`` and ``get`` (a werkzeug MultiDict). Raise ValueError with a
    readable message for a bad value.
    """
    try:
        article_ids = [int(a) for a in args.getlist("article") if a != ""]
    except ValueError:
        raise ValueError("article must be an article id (a whole number).") from None
    if any(not 0 < a <= MAX_INT for a in article_ids):
        raise ValueError("article must be a positive article id.")
    return ExportFilter(article_ids=article_ids,
                        states=[s for s in args.getlist("state") if s],
                        verdicts=[v for v in args.getlist("verdict") if v],
                        since=parse_day(args.get("since")),
                        until=parse_day(args.get("until"), end=True),
                        held_back=args.get("held_back", "") in ("1", "true"))

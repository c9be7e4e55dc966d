"""What the desk's evidence is worth now (issue 22): panel flags, sources at risk, the gate.

Reads over the snapshots ``services.snapshots`` stores and ``services.link_health`` checks:
each source's snapshot for the panel, the published claims whose sources changed or went
(worst first), and the optional publishing gate, an admin setting off by default, which the
workflow rules in ``review.py`` apply through ``ClaimFacts.evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, Claim, Source, SourceSnapshot
from annotator.services import settings

GATE = "evidence_gate"  # the desk setting: approval needs a snapshot with a found quote
AT_RISK_ROWS = 200
AT_RISK = ("changed", "moved", "gone")  # link health that puts a published claim at risk


def by_source(session: Session, claim_id: int) -> dict[int, SourceSnapshot]:
    """Return the snapshots of a claim's sources, by source id."""
    rows = session.exec(select(SourceSnapshot).join(
        Source, Source.id == SourceSnapshot.source_id).where(Source.claim_id == claim_id)).all()
    return {s.source_id: s for s in rows}


def gate_on(session: Session) -> bool:
    """Tell whether approval needs a source with a snapshot and a found quote."""
    return bool(settings.get(session, GATE, False))


def set_gate(session: Session, on: bool) -> bool:
    """Turn the publishing gate on or off; return the previous value."""
    return bool(settings.put(session, GATE, bool(on)))


def evidence_of(session: Session, claim_id: int) -> tuple[review.SourceEvidence, ...] | None:
    """Return what the gate needs to know of each source, or None when the gate is off."""
    if not gate_on(session):
        return None
    rows = session.exec(select(Source.id, Source.title, Source.url, SourceSnapshot.status,
                               SourceSnapshot.quote).outerjoin(
        SourceSnapshot, SourceSnapshot.source_id == Source.id).where(
        Source.claim_id == claim_id).order_by(Source.id)).all()
    return tuple(review.SourceEvidence(label=title or url, snapshot=status or "",
                                       quote=quote or "none")
                 for _id, title, url, status, quote in rows)


# -- sources at risk ------------------------------------------------------------------------


@dataclass
class AtRisk:
    """A published claim whose evidence changed or went, with how bad it is, in words."""

    claim: Claim
    article_title: str
    sources: list[tuple[Source, SourceSnapshot | None]] = field(default_factory=list)
    reason: str = ""
    key: tuple = ()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _assess(item: AtRisk) -> None:
    """Set the item's reason and sort key: a claim left with no standing evidence first."""
    health = [(s, snap.health if snap else "unchecked") for s, snap in item.sources]
    # The evidence is what supports or refutes; context alone counts only when all there is.
    key_sources = [(s, h) for s, h in health if s.stance != "context"] or health
    gone = sum(h == "gone" for _, h in health)
    moved = sum(h == "moved" for _, h in health)
    changed = [snap.change or 0 for _, snap in item.sources
               if snap is not None and snap.health == "changed"]
    key_lost = sum(h in ("gone", "moved") for _, h in key_sources)
    nothing_left = key_lost == len(key_sources)
    parts = []
    if nothing_left and len(key_sources) == 1:
        stance = key_sources[0][0].stance
        word = {"supports": "supporting ", "refutes": "refuting "}.get(stance, "")
        parts.append(f"its only {word}source is {key_sources[0][1]}")
    elif nothing_left:
        parts.append(f"all {len(key_sources)} of its key sources are gone or moved")
    else:
        if gone:
            parts.append(f"{gone} of {len(health)} sources gone")
        if moved:
            parts.append(f"{_plural(moved, 'source')} moved")
    if changed:
        parts.append(f"{_plural(len(changed), 'source')} changed (up to {max(changed)} %)")
    item.reason = "; ".join(parts).capitalize() + "."
    item.key = (not nothing_left, -key_lost / len(key_sources), -gone, -moved,
                -max(changed, default=0), -item.claim.id)


def at_risk(session: Session, limit: int = AT_RISK_ROWS) -> tuple[list[AtRisk], int]:
    """Return the approved claims with a source changed, moved or gone, worst first.

    Also return how many such claims there are (the page shows the first ``limit``).
    """
    claim_ids = list(session.exec(
        select(Source.claim_id).join(SourceSnapshot, SourceSnapshot.source_id == Source.id)
        .join(Claim, Claim.id == Source.claim_id)
        .where(Claim.state == review.APPROVED, SourceSnapshot.health.in_(AT_RISK))
        .distinct()).all())
    if not claim_ids:
        return [], 0
    items: dict[int, AtRisk] = {}
    for start in range(0, len(claim_ids), 500):
        batch = claim_ids[start:start + 500]
        for claim, title in session.exec(select(Claim, Article.title).join(
                Article, Article.id == Claim.article_id).where(Claim.id.in_(batch))).all():
            items[claim.id] = AtRisk(claim=claim, article_title=title)
        for source, snap in session.exec(select(Source, SourceSnapshot).outerjoin(
                SourceSnapshot, SourceSnapshot.source_id == Source.id).where(
                Source.claim_id.in_(batch)).order_by(Source.id)).all():
            items[source.claim_id].sources.append((source, snap))
    for item in items.values():
        _assess(item)
    ranked = sorted(items.values(), key=lambda i: i.key)
    return ranked[:limit], len(ranked)

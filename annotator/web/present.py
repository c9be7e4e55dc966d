"""Presenters: turn models into the shapes templates show."""

from __future__ import annotations

from dataclasses import dataclass, field

from annotator.models import Claim

HIDDEN_STATES = {"dismissed"}


@dataclass
class Segment:
    """A run of body text covered by the same set of claims."""

    start: int
    text: str
    claim_ids: list[int] = field(default_factory=list)
    shade: int = 0  # 0 = no claim; 1..4 by the strongest claim's score


@dataclass
class Paragraph:
    start: int
    segments: list[Segment]
    caption: bool = False


def shade(score: float) -> int:
    """Bucket a check-worthiness score into one of four highlight shades."""
    return 1 + min(3, int(max(0.0, min(score, 0.999)) * 4))


def paragraphs(body: str, claims: list[Claim], captions=()) -> list[Paragraph]:
    """Split the body into paragraphs of segments, each knowing which claims cover it."""
    shown = [c for c in claims if c.state not in HIDDEN_STATES and not c.orphaned]
    caption_starts = {int(span[0]) for span in captions}
    out: list[Paragraph] = []
    pos = 0
    for chunk in body.split("\n\n"):
        start, end = pos, pos + len(chunk)
        pos = end + 2
        if not chunk.strip():
            continue
        cuts = {start, end}
        inside = [c for c in shown if c.start < end and c.end > start]
        for claim in inside:
            cuts.add(max(start, claim.start))
            cuts.add(min(end, claim.end))
        edges = sorted(cuts)
        segments = []
        for a, b in zip(edges, edges[1:], strict=False):
            covering = [c for c in inside if c.start <= a and c.end >= b]
            segments.append(Segment(
                start=a,
                text=body[a:b],
                claim_ids=[c.id for c in covering],
                shade=max((shade(c.score) for c in covering), default=0),
            ))
        out.append(Paragraph(start=start, segments=segments,
                             caption=any(start <= s < end for s in caption_starts)))
    return out

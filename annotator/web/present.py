"""Presenters: turn models into the shapes templates show."""

from __future__ import annotations

from bisect import bisect_left
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
    # Plain tuples, sorted by start, read once: a long article has hundreds of claims.
    spans = sorted((c.start, c.end, c.id, shade(c.score)) for c in claims
                   if c.state not in HIDDEN_STATES and not c.orphaned)
    starts = [s[0] for s in spans]
    longest = max((e - s for s, e, _, _ in spans), default=0)
    caption_starts = sorted(int(span[0]) for span in captions)
    out: list[Paragraph] = []
    pos = 0
    for chunk in body.split("\n\n"):
        start, end = pos, pos + len(chunk)
        pos = end + 2
        if not chunk.strip():
            continue
        # Claims overlapping [start, end): they start before end and at most `longest` earlier.
        lo, hi = bisect_left(starts, start - longest), bisect_left(starts, end)
        inside = [s for s in spans[lo:hi] if s[1] > start]
        cuts = {start, end}
        for s, e, _, _ in inside:
            cuts.add(max(start, s))
            cuts.add(min(end, e))
        edges = sorted(cuts)
        segments = []
        for a, b in zip(edges, edges[1:], strict=False):
            covering = [x for x in inside if x[0] <= a and x[1] >= b]
            segments.append(Segment(start=a, text=body[a:b], claim_ids=[x[2] for x in covering],
                                    shade=max((x[3] for x in covering), default=0)))
        i = bisect_left(caption_starts, start)
        out.append(Paragraph(start=start, segments=segments,
                             caption=i < len(caption_starts) and caption_starts[i] < end))
    return out

"""Presenters: turn models into the shapes templates show."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from annotator.models import Claim

# How far along a claim is, to pick the state a highlight shows where claims overlap.
STATE_RANK = {"dismissed": 0, "held_back": 0, "proposed": 1, "open": 2, "in_progress": 3,
              "in_review": 4, "approved": 5}


@dataclass
class Segment:
    """A run of body text covered by the same set of claims."""

    start: int
    text: str
    claim_ids: list[int] = field(default_factory=list)
    shade: int = 0  # 0 = no claim; 1..4 by the strongest claim's score
    state: str = ""  # the most advanced state among the covering claims
    verdict: str | None = None  # an approved claim's verdict, when the viewer may see it


@dataclass
class Paragraph:
    start: int
    segments: list[Segment]
    caption: bool = False


def shade(score: float) -> int:
    """Bucket a check-worthiness score into one of four highlight shades."""
    return 1 + min(3, int(max(0.0, min(score, 0.999)) * 4))


def paragraphs(body: str, claims: list[Claim], captions=(), hidden=()) -> list[Paragraph]:
    """Split the body into paragraphs of segments, each knowing which claims cover it.

    Dismissed claims are kept (the page hides them unless asked); ``hidden`` holds the
    claims whose verdict this viewer may not see.
    """
    # Plain tuples, sorted by start, read once: a long article has hundreds of claims.
    spans = sorted((c.start, c.end, c.id, shade(c.score), STATE_RANK.get(c.state, 1), c.state,
                    c.verdict if c.state == "approved" and c.id not in hidden else None)
                   for c in claims if not c.orphaned)
    starts = [s[0] for s in spans]
    longest = max((x[1] - x[0] for x in spans), default=0)
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
        for x in inside:
            cuts.add(max(start, x[0]))
            cuts.add(min(end, x[1]))
        edges = sorted(cuts)
        segments = []
        for a, b in zip(edges, edges[1:], strict=False):
            covering = [x for x in inside if x[0] <= a and x[1] >= b]
            # A live claim wins over a dismissed one, so it comes first (its link opens).
            covering.sort(key=lambda x: x[4] == 0)
            top = max(covering, key=lambda x: x[4]) if covering else None
            segments.append(Segment(start=a, text=body[a:b], claim_ids=[x[2] for x in covering],
                                    shade=max((x[3] for x in covering), default=0),
                                    state=top[5] if top else "",
                                    verdict=top[6] if top else None))
        i = bisect_left(caption_starts, start)
        out.append(Paragraph(start=start, segments=segments,
                             caption=i < len(caption_starts) and caption_starts[i] < end))
    return out

"""Value types shared by the extraction pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Removed:
    """One line the cleaner took out, why, and where it stood in the cleaned text.

    `at` is the offset in the cleaned text where the line would go back (the start of the
    kept line that followed it, or the end of the text).
    """

    text: str
    reason: str
    at: int

    def as_dict(self) -> dict:
        return {"text": self.text, "reason": self.reason, "at": self.at}


@dataclass(frozen=True)
class Cleaned:
    """Hold cleaned article text and how it maps back to the raw input.

    `source_map` lists `(clean_start, raw_start, length)` runs: for each run,
    `text[clean_start:clean_start + length] == raw[raw_start:raw_start + length]`.
    """

    text: str
    captions: list[tuple[int, int]] = field(default_factory=list)
    source_map: list[tuple[int, int, int]] = field(default_factory=list)
    byline: str | None = None
    # Every line taken out, with its reason, in the order of the raw text.
    removed: list[Removed] = field(default_factory=list)

    def to_raw(self, pos: int) -> int | None:
        """Return the raw offset of cleaned offset `pos`, or None if it was synthesised."""
        for c, r, n in self.source_map:
            if c <= pos < c + n:
                return r + pos - c
        return None


@dataclass(frozen=True)
class Sentence:
    """Hold one sentence: `text == source[start:end]`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Scored:
    """Hold a check-worthiness score in [0, 1] and the human-readable reasons for it."""

    score: float
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Candidate:
    """Hold one proposed claim: `body[start:end] == quote`."""

    start: int
    end: int
    quote: str
    prefix: str
    suffix: str
    statement: str
    score: float
    reasons: list[str]
    proposed: bool
    # Who made the claim (the speaker, a source, or the outlet itself); "" when unknown.
    claimant: str = ""
    # The named steps from quote to statement ({"step", "from", "to"}), in order applied.
    rewrite: list[dict] = field(default_factory=list)
    # Short questions the statement leaves open ("who is “he”?"); empty when none.
    needs_context: list[str] = field(default_factory=list)

"""Measure how often annotators agree on categorical verdicts.

Pure functions over plain labels (any hashable value, usually verdict keys). The sums run
on ``fractions.Fraction`` so the degenerate case below is detected exactly, not within a
float tolerance; results are returned as floats.

Cohen's kappa is ``(po - pe) / (1 - pe)``, where ``po`` is the observed share of items the
two raters labelled alike and ``pe`` the share expected by chance from each rater's own
label frequencies. When ``pe == 1`` the formula divides by zero. That happens only when
both raters gave every item one and the same label, so they agreed on everything: we
define kappa as 1.0 then (and as 0.0 if ``po`` were ever below 1, which cannot happen).
Other tools report NaN there; a desk report reads better with "perfect agreement".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

Pair = tuple[Hashable, Hashable]


@dataclass(frozen=True)
class PairAgreement:
    """Hold the agreement between two raters over the items both of them labelled."""

    rater_a: Hashable
    rater_b: Hashable
    n: int
    percent: float
    kappa: float


def _checked(pairs: Iterable[Pair], labels: Iterable[Hashable] | None) -> list[Pair]:
    """Return the pairs as a list, refusing an empty one or labels outside ``labels``."""
    pairs = [(a, b) for a, b in pairs]
    if not pairs:
        raise ValueError("agreement needs at least one pair of labels")
    if labels is not None:
        known = set(labels)
        unknown = {label for pair in pairs for label in pair} - known
        if unknown:
            raise ValueError(f"labels not on the scale: {sorted(map(repr, unknown))}")
    return pairs


def _observed(pairs: list[Pair]) -> Fraction:
    """Return the share of pairs whose two labels are equal."""
    return Fraction(sum(1 for a, b in pairs if a == b), len(pairs))


def percent_agreement(pairs: Iterable[Pair]) -> float:
    """Return the share (0.0 to 1.0, not 0 to 100) of pairs whose labels agree."""
    return float(_observed(_checked(pairs, None)))


def cohens_kappa(pairs: Iterable[Pair], labels: Iterable[Hashable] | None = None) -> float:
    """Return Cohen's kappa for two raters' labels, given as (rater_a, rater_b) pairs.

    ``labels`` is the scale; when given, a label outside it raises ``ValueError``. Labels
    on the scale that neither rater used add nothing to chance agreement, so the scale
    does not change the value. See the module docstring for the ``pe == 1`` case.
    """
    pairs = _checked(pairs, labels)
    n = len(pairs)
    count_a = Counter(a for a, _ in pairs)
    count_b = Counter(b for _, b in pairs)
    po = _observed(pairs)
    pe = sum((Fraction(count_a[k] * count_b[k], n * n) for k in count_a), Fraction(0))
    if pe == 1:
        return 1.0 if po == 1 else 0.0
    return float((po - pe) / (1 - pe))


def pairwise_agreement(
    ratings: Mapping[Hashable, Mapping[Hashable, Hashable | None]],
    labels: Iterable[Hashable] | None = None,
) -> list[PairAgreement]:
    """Compare every pair of raters over the items both rated.

    ``ratings`` maps item id -> {rater: label}. A label of None means "not rated yet" and
    is skipped. Raters are ordered with ``sorted`` (so ``rater_a < rater_b``); pairs of
    raters who share no item are left out rather than reported as 0 or NaN.
    """
    scale: Sequence[Hashable] | None = None if labels is None else list(labels)
    raters = sorted(
        {r for by_rater in ratings.values() for r, lab in by_rater.items() if lab is not None}
    )
    result = []
    for rater_a, rater_b in combinations(raters, 2):
        pairs = [
            (by_rater[rater_a], by_rater[rater_b])
            for by_rater in ratings.values()
            if by_rater.get(rater_a) is not None and by_rater.get(rater_b) is not None
        ]
        if not pairs:
            continue
        result.append(
            PairAgreement(
                rater_a=rater_a,
                rater_b=rater_b,
                n=len(pairs),
                percent=percent_agreement(pairs),
                kappa=cohens_kappa(pairs, scale),
            )
        )
    return result

"""Group articles that tell the same story: near-duplicates by word-shingle similarity.

Each article imported from a feed gets a MinHash sketch of its 5-word shingles (SKETCH
values). The sketch is cut into BANDS bands of ROWS values; two articles that share a band
are candidates (locality-sensitive hashing: an indexed look-up, not a scan of the archive),
and a candidate whose sketches agree on at least NEAR_DUPLICATE of their values (the
estimated Jaccard similarity of the shingle sets) is the same story: the new article joins
its group. Otherwise it starts a group of its own.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
from sqlmodel import Session, select

from annotator.models import Article, ArticleBand, ArticleGroup, ArticleSketch

SHINGLE = 5
BANDS, ROWS = 20, 3
SKETCH = BANDS * ROWS
NEAR_DUPLICATE = 0.5
_PRIME = (1 << 31) - 1
_rng = np.random.default_rng(20261206)  # fixed: sketches must compare across processes
_A = _rng.integers(1, _PRIME, size=SKETCH, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, size=SKETCH, dtype=np.uint64)
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE) -> set[str]:
    """Return the text's runs of `size` words, lower-cased (the whole text when shorter)."""
    words = _WORD.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def sketch(text: str) -> list[int]:
    """Return the MinHash sketch of the text's shingles (SKETCH integers)."""
    found = shingles(text)
    if not found:
        return [0] * SKETCH
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little")
         % _PRIME for s in found), dtype=np.uint64, count=len(found))
    values = (np.outer(_A, hashes) + _B[:, None]) % _PRIME
    return [int(v) for v in values.min(axis=1)]


def similarity(a: list[int], b: list[int]) -> float:
    """Estimate the Jaccard similarity of two texts from their sketches."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def bands(signature: list[int]) -> list[str]:
    """Return the band keys of a sketch: articles sharing one are compared."""
    keys = []
    for i in range(BANDS):
        part = ",".join(str(v) for v in signature[i * ROWS:(i + 1) * ROWS])
        keys.append(f"{i}:{hashlib.blake2b(part.encode(), digest_size=8).hexdigest()}")
    return keys


def nearest(session: Session, signature: list[int],
            exclude: int | None = None) -> tuple[ArticleSketch | None, float]:
    """Return the most similar sketched article at or above NEAR_DUPLICATE, and its score."""
    ids = set(session.exec(select(ArticleBand.article_id).where(
        ArticleBand.band.in_(bands(signature)))).all())
    ids.discard(exclude)
    if not ids:
        return None, 0.0
    best, best_score = None, 0.0
    for other in session.exec(select(ArticleSketch).where(
            ArticleSketch.article_id.in_(sorted(ids)))).all():
        score = similarity(signature, other.signature)
        if score > best_score or (score == best_score and best is not None
                                  and other.article_id < best.article_id):
            best, best_score = other, score
    if best is None or best_score < NEAR_DUPLICATE:
        return None, best_score
    return best, best_score


def group_article(session: Session, article: Article) -> tuple[int, int | None, float]:
    """Sketch the article and put it in its story's group (a new one when none is near).

    Return (group id, the near-duplicate article's id or None, the similarity).
    """
    signature = sketch(article.body)
    twin, score = nearest(session, signature, exclude=article.id)
    if twin is not None:
        group_id = twin.group_id
    else:
        group = ArticleGroup()
        session.add(group)
        session.flush()
        group_id = group.id
    session.add(ArticleSketch(article_id=article.id, group_id=group_id, signature=signature))
    session.add_all(ArticleBand(band=key, article_id=article.id)
                    for key in dict.fromkeys(bands(signature)))
    session.flush()
    return group_id, (twin.article_id if twin else None), round(score, 4)


def groups_of(session: Session, article_ids) -> dict[int, int]:
    """Return each sketched article's group id, by article id."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    return dict(session.exec(select(ArticleSketch.article_id, ArticleSketch.group_id).where(
        ArticleSketch.article_id.in_(ids))).all())

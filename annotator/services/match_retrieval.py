"""Checked before?, first stage: retrieve candidates by full-text rank (no re-ranking here).

SQLite FTS5 with BM25 (one index per kind), PostgreSQL's stored tsvector with ts_rank;
services.matching re-ranks what this returns.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlmodel import Session

from annotator import matching
from annotator.matching import features as feature_module
from annotator.matching.features import Candidate
from annotator.services import search

DESK, EXTERNAL = "desk", "external"
RETRIEVE = 40  # candidates the re-ranker sees
DESK_RETRIEVE = 20  # desk claims the re-ranker sees, on SQLite
FTS = "matchcandidate_fts"  # SQLite: external fact-checks
DESK_FTS = "matchcandidate_fts_desk"  # SQLite: the desk's approved claims
# Both databases retrieve by each query's rarer words only. FTS5 reads every document that holds a
# query word (and bm25() counts them all for its idf), so one word found in half a million
# approved claims costs more than the whole rest of the query. A word is usable when at
# most TERM_CAP candidates of the index hold it; the rarest go first while their documents
# add up to at most DOC_BUDGET. The common words still count in the re-ranker's features.
# Each kind has its own index, so a big desk neither slows nor crowds out the external
# fact-checks; each kind's best are re-ranked on their own and merged by probability.
TERM_CAP = 1000
DOC_BUDGET = 10000
# PostgreSQL: the stored tsvector column of migration 0011 (with its GIN index).
PG_TSV = "matchcandidate_fts_tsv"


def rare_terms(counts: dict[str, int]) -> list[str]:
    """Pick the terms to retrieve by: the rarest first, while each is under the cap and their
    documents fit the budget; if every term is common, the rarest one alone."""
    present = sorted((t for t in counts if counts[t]), key=lambda t: (counts[t], t))
    chosen, total = [], 0
    for term in present:
        if counts[term] > TERM_CAP or total + counts[term] > DOC_BUDGET:
            break
        chosen.append(term)
        total += counts[term]
    return chosen or present[:1]


def _sqlite_retrieve(session: Session, index: str, terms: list[str],
                     k: int) -> list[Candidate]:
    terms = rare_terms(search.fts5_counts(session, index, terms, TERM_CAP))
    if not terms:
        return []
    query = " OR ".join(f'"{t}"' for t in terms)
    # Rank inside the full-text table first and join the k best only; the per-field scores
    # cost next to nothing beside the first bm25() call, which reads the same phrase data.
    rows = session.exec(text(
        f"SELECT c.kind, c.ref_id, c.claim, c.title, c.summary, c.claimant, x.s, x.a, x.b, "  # noqa: S608, E501 - constants only
        f"x.c, c.published FROM (SELECT rowid, -bm25({index}, 1.0, 0.6, 0.3) AS s, "
        f"-bm25({index}, 1.0, 0.0, 0.0) AS a, -bm25({index}, 0.0, 1.0, 0.0) AS b, "
        f"-bm25({index}, 0.0, 0.0, 1.0) AS c FROM {index} WHERE {index} MATCH :q "
        f"ORDER BY s DESC LIMIT :k) AS x JOIN matchcandidate c ON c.id = x.rowid "
        f"ORDER BY x.s DESC"
    ).bindparams(q=query, k=k)).all()
    return [Candidate(kind=r[0], ref_id=r[1], claim=r[2], title=r[3], summary=r[4],
                      claimant=r[5], score=float(r[6]),
                      field_scores=(max(0.0, r[7]), max(0.0, r[8]), max(0.0, r[9])),
                      published=_day(r[10])) for r in rows]


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _postgres_counts(session: Session, kind: str, terms: list[str]) -> dict[str, int]:
    """Return how many candidates of a kind hold each term (PostgreSQL), up to the cap."""
    parts = " UNION ALL ".join(
        f"SELECT {i}, count(*) FROM (SELECT 1 FROM matchcandidate WHERE kind = :kind AND "  # noqa: S608 - constants only
        f"{PG_TSV} @@ to_tsquery('english', :t{i}) LIMIT {TERM_CAP + 1}) AS x{i}"
        for i in range(len(terms)))
    rows = session.exec(text(parts).bindparams(
        kind=kind, **{f"t{i}": t for i, t in enumerate(terms)})).all()
    return {terms[i]: int(n) for i, n in rows}


def _postgres_retrieve(session: Session, terms: list[str], kind: str,
                       k: int) -> list[Candidate]:
    # Terms are letters and digits only (matching.query_terms), so the tsquery is well formed.
    # As on SQLite, only the rarer terms retrieve; the stored tsvector (migration 0011) is
    # ranked as it is, and the per-field ranks are computed for the k best only.
    terms = rare_terms(_postgres_counts(session, kind, terms))
    if not terms:
        return []
    query = " | ".join(terms)
    rows = session.exec(text(
        f"SELECT x.id, x.kind, x.ref_id, x.claim, x.title, x.summary, x.claimant, x.s, "  # noqa: S608
        f"x.published, ts_rank(to_tsvector('english'::regconfig, x.claim), q), "
        f"ts_rank(to_tsvector('english'::regconfig, x.title), q), "
        f"ts_rank(to_tsvector('english'::regconfig, x.summary), q) "
        f"FROM (SELECT c.id, c.kind, c.ref_id, c.claim, c.title, c.summary, c.claimant, "
        f"c.published, ts_rank(c.{PG_TSV}, q) AS s "
        f"FROM matchcandidate c, to_tsquery('english', :q) q "
        f"WHERE c.{PG_TSV} @@ q AND c.kind = :kind ORDER BY s DESC, c.id LIMIT :k) x, "
        f"to_tsquery('english', :q) q ORDER BY x.s DESC, x.id"
    ).bindparams(q=query, kind=kind, k=k)).all()
    return [Candidate(kind=r[1], ref_id=r[2], claim=r[3], title=r[4], summary=r[5],
                      claimant=r[6], score=float(r[7]), published=r[8],
                      field_scores=(float(r[9]), float(r[10]), float(r[11]))) for r in rows]


def retrieve_groups(session: Session, query_text: str,
                    k: int = RETRIEVE) -> list[list[Candidate]]:
    """Return candidates by full-text rank (the BM25 stage alone), in groups re-ranked apart.

    One group per kind: the best k external fact-checks, then the best DESK_RETRIEVE desk
    claims (a repeated claim ranks near the top by its own words), so a big desk neither
    crowds out nor outweighs the other outlets. On SQLite each kind has its own index.
    """
    terms = matching.query_terms(query_text, rarity=feature_module.rarity)
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        return [_sqlite_retrieve(session, FTS, terms, k),
                _sqlite_retrieve(session, DESK_FTS, terms, min(k, DESK_RETRIEVE))]
    return [_postgres_retrieve(session, terms, EXTERNAL, k),
            _postgres_retrieve(session, terms, DESK, min(k, DESK_RETRIEVE))]


def retrieve(session: Session, query_text: str, k: int = RETRIEVE) -> list[Candidate]:
    """Return the candidates of every group, each group best first."""
    return [c for group in retrieve_groups(session, query_text, k) for c in group]

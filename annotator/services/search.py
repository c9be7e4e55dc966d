"""Full-text search conditions on claim, for SQLite (FTS5) and PostgreSQL (tsvector + GIN).

The index itself is kept by database triggers (annotator/search/schema.py); this module turns
a parsed query into SQL conditions and ranks, and builds highlighted snippets for a page.
Blind second review: for claims whose first verdict a user must not see, terms match only
outside the conclusion, and the conclusion is left out of ranks and snippets.
"""

from __future__ import annotations

from markupsafe import Markup
from sqlalchemy import and_, column, func, literal, literal_column, not_, or_, table, text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from annotator.models import Claim, Note, Source
from annotator.search import query as q
from annotator.search import schema
from annotator.search.snippets import highlight, pattern

_FTS = table("claim_fts", column("rowid"))
_PG = table("claim_search", column("claim_id"), column("tsv"))
INDEX = _PG  # PostgreSQL's index table, for joins that score claims
_ENGLISH = literal_column("'english'::regconfig")
# bm25 weights per FTS column (statement, quote, conclusion, claimant, sources, notes, article).
_BM25 = (10.0, 6.0, 3.0, 5.0, 2.0, 1.0, 1.0)


def dialect_of(session: Session) -> str:
    """Return "sqlite" or "postgresql" for the session's database."""
    return session.get_bind().dialect.name


def _fts_match(expr: str):
    return literal_column("claim_fts").op("MATCH")(literal(expr))


def _pg_match(tsquery: str):
    return _PG.c.tsv.op("@@")(func.to_tsquery(_ENGLISH, literal(tsquery)))


def _ids_matching(dialect: str, terms: list[q.Term], *, everything: bool, open_only: bool):
    """Return a select of claim ids whose document matches all (or any) of the terms."""
    if dialect == "sqlite":
        columns = schema.OPEN_COLUMNS if open_only else None
        expr = (q.to_fts5(q.Query(include=terms), columns) if everything
                else q.to_fts5_any(terms, columns))
        return select(_FTS.c.rowid).where(_fts_match(expr))
    weights = schema.OPEN_WEIGHTS if open_only else ""
    text_query = q.to_tsquery(terms, weights=weights, joiner=" & " if everything else " | ")
    return select(_PG.c.claim_id).where(_pg_match(text_query))


def text_condition(dialect: str, query: q.Query, visible: ColumnElement[bool]):
    """Return the conditions on Claim that `join_match` leaves to the WHERE clause.

    `join_match` finds the claims holding every included term anywhere. Here: claims whose
    conclusion blind review hides (`visible` false) must hold them outside the conclusion,
    and excluded terms remove claims (for hidden ones, only where they may look).
    """
    conditions = []
    if query.include:
        opened = Claim.id.in_(_ids_matching(dialect, query.include, everything=True,
                                            open_only=True))
        conditions.append(or_(visible, opened))
    if query.exclude:
        full = Claim.id.in_(_ids_matching(dialect, query.exclude, everything=False,
                                          open_only=False))
        opened = Claim.id.in_(_ids_matching(dialect, query.exclude, everything=False,
                                            open_only=True))
        conditions.append(not_(or_(and_(visible, full), opened)))
    return and_(*conditions) if conditions else None


def join_match(statement, dialect: str, query: q.Query):
    """Join the index to a select over Claim, keeping the claims that hold every term.

    Driving the query from the index lets the database stream matches (FTS5 walks its
    doclist; PostgreSQL reads the GIN index) instead of collecting every match first.
    """
    if dialect == "sqlite":
        return statement.join(_FTS, _FTS.c.rowid == Claim.id).where(
            _fts_match(q.to_fts5(query)))
    return statement.join(_PG, _PG.c.claim_id == Claim.id).where(
        _pg_match(q.to_tsquery(query.include)))


def match_id(dialect: str):
    """Return the joined index's claim id: ordering by it lets FTS5 stream in id order."""
    return _FTS.c.rowid if dialect == "sqlite" else _PG.c.claim_id


def index_window(query: q.Query, score=None):
    """Return select(claim_id[, score]) of the claims matching, from FTS5 alone (SQLite)."""
    columns = [_FTS.c.rowid.label("claim_id")]
    if score is not None:
        columns.append(score.label("score"))
    return select(*columns).where(_fts_match(q.to_fts5(query)))


def count_cap(query: q.Query, cap: int, phrase_cap: int) -> int:
    """Return how far to count a query's matches.

    FTS5 checks a phrase's word positions in every claim holding all its words, so a phrase
    of common words ("officials in Lagos") costs as much as its commonest word: its count
    stops sooner, and the total then reads "1,000+".
    """
    return phrase_cap if any(t.is_phrase for t in query.include) else cap


def count_matches(session: Session, query: q.Query, cap: int) -> int:
    """Count the claims holding every term, stopping after `cap` (cheap: the index alone)."""
    dialect = dialect_of(session)
    ids = _ids_matching(dialect, query.include, everything=True, open_only=False)
    return session.execute(select(func.count()).select_from(
        ids.limit(cap + 1).subquery())).scalar_one()


def fts5_counts(session: Session, index: str, tokens: list[str], cap: int) -> dict[str, int]:
    """Return how many rows of an FTS5 index hold each token, counting no further than cap + 1.

    One statement; each count stops early, so a common word costs no more than a rare one.
    `index` is one of the project's own FTS5 tables (a constant, never input).
    """
    parts = " UNION ALL ".join(
        f"SELECT {i}, count(*) FROM (SELECT rowid FROM {index} WHERE {index} "  # noqa: S608 - constants only
        f"MATCH :t{i} LIMIT {cap + 1})" for i in range(len(tokens)))
    rows = session.exec(text(parts).bindparams(
        **{f"t{i}": f'"{t}"' for i, t in enumerate(tokens)})).all()
    return {tokens[i]: int(n) for i, n in rows}


def _open_counts(session: Session, words: list[str], cap: int,
                 columns: str) -> dict[str, int]:
    """Like ``fts5_counts`` on claim_fts, counting a word only outside the conclusion."""
    parts = " UNION ALL ".join(
        f"SELECT {i}, count(*) FROM (SELECT rowid FROM claim_fts WHERE claim_fts "  # noqa: S608 - constants only
        f"MATCH :t{i} LIMIT {cap + 1})" for i in range(len(words)))
    rows = session.exec(text(parts).bindparams(
        **{f"t{i}": f'{columns} : "{w}"' for i, w in enumerate(words)})).all()
    return {words[i]: int(n) for i, n in rows}


def rare_words(session: Session, query: q.Query, cap: int,
               open_only: bool = False) -> tuple[bool, list[str]]:
    """Return (whether bm25 may score the query itself, its words held by <= cap claims).

    bm25() counts, for each term of its MATCH, every claim that holds it (its idf), and for
    a phrase it reads every such claim's word positions. A query of rare words alone is
    scored as it is; otherwise `scores_since` scores by its rarer words only.
    ``open_only``: count only outside conclusions (for a reader blind review hides some
    from: what they cannot see must not decide anything).
    """
    words = sorted({t for term in query.include for t in term.tokens})
    if open_only:
        columns = "{" + " ".join(schema.OPEN_COLUMNS) + "}"
        counts = _open_counts(session, words, cap, columns) if words else {}
    else:
        counts = fts5_counts(session, "claim_fts", words, cap) if words else {}
    rare = [w for w in words if 0 < counts[w] <= cap]
    return len(rare) == len(words) and not any(t.is_phrase for t in query.include), rare


def scores_since(query: q.Query, rare: list[str], since, *, with_conclusion: bool,
                 open_only: bool = False):
    """Return select(claim_id, score) scoring the claims from id `since` on (SQLite), or None.

    The score is taken on the query's rarer words: the claims being ranked hold them all
    anyway. None when every word is common (the newest then come first). ``open_only``:
    the words are looked for outside conclusions only, so no conclusion's words weigh in.
    """
    if not rare:
        return None
    expr = " OR ".join(f'"{w}"' for w in rare)
    if open_only:
        expr = "{" + " ".join(schema.OPEN_COLUMNS) + "} : (" + expr + ")"
    score = rank("sqlite", query, with_conclusion=with_conclusion)
    return (select(_FTS.c.rowid.label("claim_id"), score.label("score"))
            .where(_fts_match(expr), _FTS.c.rowid >= since))


def rank(dialect: str, query: q.Query, *, with_conclusion: bool):
    """Return the relevance of a claim joined by `join_match`: lower sorts first.

    Without the conclusion's weight for people blind review hides it from.
    """
    if dialect == "sqlite":
        weights = list(_BM25)
        if not with_conclusion:
            weights[2] = 0.0
        return func.bm25(literal_column("claim_fts"), *weights)
    tsquery = func.to_tsquery(_ENGLISH, literal(q.to_tsquery(query.include)))
    weights = literal_column("'{0.1, %s, 0.4, 1.0}'::float4[]"
                             % ("0.2" if with_conclusion else "0"))
    return -func.ts_rank(weights, _PG.c.tsv, tsquery)


def snippets(session: Session, claims: list[Claim], query: q.Query,
             hidden: set[int]) -> dict[int, Markup]:
    """Return a highlighted snippet per claim: the best place its words were found."""
    if not claims or not query.include:
        return {}
    ids = [c.id for c in claims]
    extra: dict[int, list[str]] = {i: [] for i in ids}
    for claim_id, *parts in session.exec(select(Source.claim_id, Source.title, Source.excerpt,
                                                Source.publisher)
                                         .where(Source.claim_id.in_(ids))).all():
        extra[claim_id].extend(parts)
    for claim_id, body in session.exec(select(Note.claim_id, Note.body)
                                       .where(Note.claim_id.in_(ids))).all():
        extra[claim_id].append(body)
    out = {}
    for claim in claims:
        conclusion = "" if claim.id in hidden else claim.conclusion
        texts = [claim.statement, claim.quote, claim.claimant, conclusion, *extra[claim.id]]
        out[claim.id] = highlight(texts, query.include)
    return out


def statement_matches(claim: Claim, query: q.Query) -> bool:
    """Tell whether the claim's statement itself holds a searched word (its snippet is it)."""
    regex = pattern(query.include)
    return bool(regex and regex.search(claim.statement or ""))


def defer_bulk(session: Session) -> None:
    """Before a bulk load: on PostgreSQL, the row triggers skip its rows in this transaction.

    Each source or note row would otherwise rebuild its claim's whole document (about 150
    claims/s); `index_bulk` indexes the loaded articles in one statement instead. SQLite's
    FTS5 triggers are cheap enough to stay on.
    """
    if dialect_of(session) == "postgresql":
        _set_local(session, schema.DEFER_SETTING, "on")


def _set_local(session: Session, name: str, value: str) -> None:
    """Set a PostgreSQL setting for the rest of this transaction (the triggers read it)."""
    session.exec(text("SELECT set_config(:name, :value, true)").bindparams(name=name,
                                                                          value=value))


def index_bulk(session: Session, article_ids: list[int]) -> None:
    """After a bulk load: index the claims of these articles and turn the triggers back on."""
    if dialect_of(session) != "postgresql":
        return
    for i in range(0, len(article_ids), 1000):
        session.exec(text(schema.pg_fill("c.article_id = ANY(:ids)")).bindparams(
            ids=article_ids[i:i + 1000]))
    _set_local(session, schema.DEFER_SETTING, "off")


def defer_tally(session: Session) -> None:
    """Before inserting a new article's claims: on PostgreSQL, the tally's trigger steps aside.

    Each claim would otherwise take the tally's desk-wide lock at once and hold it to the
    commit, while the rest of the article goes in. Call ``count_deferred`` for the article
    once its claims are in, as late in the transaction as may be.
    """
    if dialect_of(session) == "postgresql":
        _set_local(session, schema.TALLY_DEFER_SETTING, "on")


def count_deferred(session: Session, article_ids: list[int]) -> None:
    """Add these new articles' claims to the tally in one statement; the trigger is back on."""
    if dialect_of(session) != "postgresql":
        return
    session.flush()  # the claims are in before they are counted
    _set_local(session, schema.TALLY_DEFER_SETTING, "off")
    lock, add = schema.PG_TALLY_ADD
    session.exec(text(lock))
    session.exec(text(add).bindparams(ids=list(article_ids)))


def reindex(session: Session) -> dict[str, int]:
    """Rebuild the search index and the tallies from the tables, in this transaction."""
    dialect = dialect_of(session)
    for statement in schema.rebuild_statements(dialect):
        session.exec(text(statement))
    from annotator.services import mentions

    return {"claims": session.exec(select(func.count()).select_from(Claim)).one(),
            "mentions": mentions.rebuild(session)}


def claimant_condition(dialect: str, terms: list[q.Term]):
    """Return the condition: the claimant holds these words (field `claimant:`)."""
    if dialect == "sqlite":
        expr = q.to_fts5(q.Query(include=terms), ("claimant",))
        return Claim.id.in_(select(_FTS.c.rowid).where(_fts_match(expr)))
    return Claim.id.in_(select(_PG.c.claim_id).where(
        _pg_match(q.to_tsquery(terms, weights="B"))))

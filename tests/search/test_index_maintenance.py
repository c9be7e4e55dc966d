"""Every write path keeps the search index, the tallies and the mentions in step.

Each test writes through a service and then searches: the triggers of migration 0007 did
the indexing in the same transaction. Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL.
"""

from __future__ import annotations

import random

from sqlalchemy import func, text
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, ClaimTally, Mention, Source, User
from annotator.services import claims as claim_service
from annotator.services import queries, search, spans, stats
from annotator.services import queue as queue_service
from tests.search.conftest import make_article


def ids_for(engine, q):
    with session_scope(engine, write=False) as s:
        return {c.id for c, _ in queries.find_claims(s, queries.ClaimFilter(q=q), None).rows}


def user(s, name):
    return s.exec(select(User).where(User.username == name)).one()


def test_editing_a_claim_reindexes_it(engine, archive):
    with session_scope(engine) as s:
        c = s.get(Claim, archive["c1"])
        claim_service.update_claim(s, user(s, "editor"), c.id, c.version,
                                   {"statement": "Spending on hospitals doubled",
                                    "claimant": "Finance Minister Okafor",
                                    "conclusion": "Treasury tables confirm it."})
    assert ids_for(engine, "hospitals") == {archive["c1"]}
    assert ids_for(engine, "okafor") == {archive["c1"]}
    assert ids_for(engine, "claimant:okafor") == {archive["c1"]}
    assert ids_for(engine, "claimant:treasury") == set()
    assert ids_for(engine, "treasury tables") == {archive["c1"]}
    # The quote is still the article's words.
    assert archive["c1"] in ids_for(engine, "ministry")


def test_adding_and_removing_a_source_reindexes_its_claim(engine, archive):
    with session_scope(engine) as s:
        source = claim_service.add_source(s, user(s, "editor"), archive["c1"], {
            "url": "https://www.audit-office.example/report", "title": "Audit of school funds",
            "publisher": "National Audit Office", "stance": "supports",
            "excerpt": "Expenditure rose by two fifths."})
        source_id = source.id
    assert ids_for(engine, '"two fifths"') == {archive["c1"]}
    assert ids_for(engine, "audit") == {archive["c1"]}
    with session_scope(engine) as s:
        claim_service.remove_source(s, user(s, "editor"), archive["c1"], source_id)
    assert ids_for(engine, "fifths") == set()


def test_a_note_is_searchable_and_its_mentions_are_stored(engine, archive, people):
    with session_scope(engine) as s:
        claim_service.add_note(s, user(s, "editor"), archive["c2"],
                               "@reviewer please call the harbourmaster, cc @nobody")
    assert ids_for(engine, "harbourmaster") == {archive["c2"]}
    with session_scope(engine, write=False) as s:
        assert s.exec(select(Mention.user_id)).all() == [people["reviewer"]]
        queue = queue_service.queue_for(s, user(s, "reviewer"))
        assert [c.id for _, c in queue.mentions] == [archive["c2"]]


def test_merge_and_split_reindex_both_claims(engine, archive):
    with session_scope(engine) as s:
        c1, c2 = s.get(Claim, archive["c1"]), s.get(Claim, archive["c2"])
        spans.merge(s, user(s, "editor"), c1.id, c2.id, c1.version)
    # c2's source moved to c1 with the merge: its words now find c1.
    assert ids_for(engine, "jobless") == {archive["c1"]}
    assert archive["c1"] in ids_for(engine, "unemployment ministry")
    with session_scope(engine) as s:
        c1 = s.get(Claim, archive["c1"])
        left, right = spans.split(s, user(s, "editor"), c1.id, c1.start + 20, c1.version)
        right_id = right.id
    assert right_id in ids_for(engine, "unemployment")


def test_dismissing_keeps_the_claim_findable_and_moves_the_tally(engine, archive):
    with session_scope(engine) as s:
        claim_service.transition(s, user(s, "editor"), archive["c1"], "dismiss")
    assert ids_for(engine, "ministry state:dismissed") == {archive["c1"]}


def test_a_new_title_or_a_corrected_text_reindexes_the_article(engine, archive):
    with session_scope(engine) as s:
        from annotator.models import Article
        article = s.get(Article, archive["a"])
        article.title = "Fiscal review"
        s.add(article)
    assert ids_for(engine, "fiscal") == {archive["c1"], archive["c2"], archive["c3"]}
    assert ids_for(engine, "parliament") == set()
    with session_scope(engine) as s:
        article = s.get(Article, archive["a"])
        body = article.body.replace("forty percent", "forty per cent")
        spans.correct_body(s, user(s, "editor"), article.id, body, article.version)
    # The claim's quote moved with the text; its statement keeps what the reviewer wrote.
    with session_scope(engine, write=False) as s:
        quote = s.get(Claim, archive["c1"]).quote
    assert ("per cent" in quote) == (archive["c1"] in ids_for(engine, '"forty per cent"'))


def test_deleting_a_claim_removes_it_from_the_index(engine, archive):
    with session_scope(engine) as s:
        for source in s.exec(select(Source).where(Source.claim_id == archive["c2"])).all():
            s.delete(source)
        s.flush()
        s.delete(s.get(Claim, archive["c2"]))
    assert ids_for(engine, "unemployment") == set()
    assert tallies_match_a_recount(engine)


def tallies_match_a_recount(engine) -> bool:
    with session_scope(engine, write=False) as s:
        tally = {(t.state, t.verdict): t.n for t in s.exec(select(ClaimTally)).all() if t.n}
        recount = {(st, v or ""): n for st, v, n in s.exec(
            select(Claim.state, Claim.verdict, func.count()).group_by(Claim.state,
                                                                       Claim.verdict)).all()}
    return tally == recount


def test_the_tallies_match_a_recount_after_random_writes(engine, people):
    rng = random.Random(12)
    with session_scope(engine) as s:
        _, made = make_article(s, "Random", [f"Sentence number {i} about tallies." for i in
                                             range(30)])
        ids = [c.id for c in made]
    verdicts = [None, "true", "false", "mixed"]
    states = ["proposed", "open", "in_progress", "in_review", "approved", "dismissed"]
    for _round in range(6):
        with session_scope(engine) as s:
            for claim_id in rng.sample(ids, 10):
                claim = s.get(Claim, claim_id)
                claim.state, claim.verdict = rng.choice(states), rng.choice(verdicts)
                s.add(claim)
        assert tallies_match_a_recount(engine)
    with session_scope(engine, write=False) as s:
        figures = {b.key: b.value for b in stats.by_state(s)}
        assert sum(figures.values()) == 30


def test_reindex_rebuilds_a_damaged_index(engine, archive):
    with session_scope(engine) as s:
        table = "claim_fts" if search.dialect_of(s) == "sqlite" else "claim_search"
        s.exec(text(f"DELETE FROM {table}"))  # noqa: S608
        s.exec(text("UPDATE claimtally SET n = 99"))
    assert ids_for(engine, "ministry") == set()
    with session_scope(engine) as s:
        report = search.reindex(s)
    assert report["claims"] == 4
    assert ids_for(engine, "ministry") == {archive["c1"]}
    assert tallies_match_a_recount(engine)


def test_an_imported_export_is_searchable_with_its_mentions(engine, archive, people,
                                                             fresh_database):
    from annotator.engine import get_engine
    from annotator.exports.formats import run_export
    from annotator.models import Mention, Note
    from annotator.services import json_import

    with session_scope(engine) as s:
        claim_service.add_note(s, user(s, "editor"), archive["c3"], "@reviewer2 the quarry")
    with session_scope(engine, write=False) as s:
        document = "".join(run_export(s, "json"))
    kind = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    target = get_engine(fresh_database(kind))
    with session_scope(target) as s:
        json_import.import_json(s, document)
        # The import's transaction goes on indexing its own later writes.
        claim_service.add_note(s, user(s, "editor"), archive["c1"], "A gazetteer entry.")
    assert ids_for(target, "gazetteer") == {archive["c1"]}
    assert ids_for(target, "quarry") and ids_for(target, "jobless")
    assert ids_for(target, '"forty percent"') and tallies_match_a_recount(target)
    with session_scope(target, write=False) as s:
        mentioned = s.exec(select(User.username).join(Mention, Mention.user_id == User.id)
                           .join(Note, Note.id == Mention.note_id)
                           .where(Note.body.like("%quarry%"))).all()
    assert mentioned == ["reviewer2"]


def _tally_lock_held_elsewhere(engine) -> bool:
    """Ask from another connection whether some transaction holds the tally's lock."""
    from annotator.search import schema

    with engine.connect() as other:
        return bool(other.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = :key"),
            {"key": schema.TALLY_LOCK}).scalar())


def test_an_import_counts_its_claims_in_the_tally_at_its_end(engine, people, shared):
    """Issue 19: the tally's desk-wide lock is not held while an import stores its claims.

    On PostgreSQL the tally's trigger takes a lock every reviewer's state change needs; an
    import took it at its first claim and held it while the rest went in, from a worker at
    low CPU priority. Now its claims are counted by one statement at its end. The lock is
    looked for, from another connection, just after the claims' INSERT.
    """
    from sqlalchemy import event

    from annotator.services import articles

    text_of = (shared / "articles" / "kazakh-conscriptions.txt").read_text(encoding="utf-8")
    postgres = engine.dialect.name == "postgresql"
    held_after_insert: list[bool] = []
    looking = [False]

    def look(conn, cursor, statement, parameters, context, executemany):
        if postgres and not looking[0] and statement.lstrip().startswith("INSERT INTO claim "):
            looking[0] = True  # the look's own statements are not looked at
            try:
                held_after_insert.append(_tally_lock_held_elsewhere(engine))
            finally:
                looking[0] = False

    event.listen(engine, "after_cursor_execute", look)
    try:
        with session_scope(engine) as s:
            article = articles.import_article(s, user(s, "editor"), articles.ImportRequest(
                text=text_of, title="Conscriptions"))
            made = s.exec(select(func.count()).where(Claim.article_id == article.id)).one()
            if postgres:  # the count at the end holds it to the commit, as any state change
                assert _tally_lock_held_elsewhere(engine)
    finally:
        event.remove(engine, "after_cursor_execute", look)
    assert made > 10
    assert tallies_match_a_recount(engine)
    if postgres:
        assert held_after_insert and not any(held_after_insert)
    # The trigger is back on in a later transaction, and in the same one after the count.
    with session_scope(engine) as s:
        claim = s.exec(select(Claim).where(Claim.article_id == article.id)).first()
        claim.state = "dismissed"
        s.add(claim)
    assert tallies_match_a_recount(engine)

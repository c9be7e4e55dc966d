"""The dashboard's tallies always equal a recount, whatever writes happen, even concurrently."""

from __future__ import annotations

import itertools
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, ClaimTally, Event, ReviewTally, User
from annotator.services import stats
from tests.search.conftest import make_article

RUNS = itertools.count()
STATES = ["proposed", "open", "in_progress", "in_review", "approved", "dismissed"]
VERDICTS = [None, "true", "false", "mixed"]


def recount_matches(engine) -> bool:
    with session_scope(engine, write=False) as s:
        tally = {(t.state, t.verdict): t.n for t in s.exec(select(ClaimTally)).all() if t.n}
        recount = {(state, verdict or ""): n for state, verdict, n in s.exec(
            select(Claim.state, Claim.verdict, func.count())
            .group_by(Claim.state, Claim.verdict)).all()}
    return tally == recount


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(st.tuples(st.integers(0, 11), st.sampled_from(STATES),
                                 st.sampled_from(VERDICTS), st.booleans()),
                       min_size=1, max_size=12))
def test_any_sequence_of_writes_keeps_the_tally_equal_to_a_recount(engine, people, writes):
    with session_scope(engine) as s:
        run = next(RUNS)
        _, made = make_article(s, f"Tally {run}",
                               [f"Claim {i} for tally {run}." for i in range(12)])
        ids = [c.id for c in made]
    with session_scope(engine) as s:
        for index, state, verdict, delete in writes:
            claim = s.get(Claim, ids[index])
            if claim is None:
                continue
            if delete:
                s.delete(claim)
            else:
                claim.state, claim.verdict = state, verdict
                s.add(claim)
            s.flush()
    assert recount_matches(engine)


def test_concurrent_writers_keep_the_tally_equal_to_a_recount(engine, people):
    with session_scope(engine) as s:
        _, made = make_article(s, "Concurrent", [f"Claim {i} written at once." for i in
                                                 range(40)])
        ids = [c.id for c in made]
    errors = []

    def writer(offset: int) -> None:
        try:
            for round_ in range(8):
                with session_scope(engine) as s:
                    for claim_id in ids[offset::4]:
                        claim = s.get(Claim, claim_id)
                        claim.state = STATES[(claim_id + round_ + offset) % len(STATES)]
                        claim.verdict = VERDICTS[(claim_id + round_) % len(VERDICTS)]
                        s.add(claim)
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert recount_matches(engine)


def test_reviews_per_week_count_who_submitted_with_display_names(engine, people):
    with session_scope(engine) as s:
        for who in ("reviewer", "reviewer", "editor"):
            s.add(Event(action="submit", actor_id=people[who]))
        s.add(Event(action="approve", actor_id=people["editor"]))
    with session_scope(engine, write=False) as s:
        weekly = stats.reviews_per_week(s)
        assert s.exec(select(func.sum(ReviewTally.n))).one() == 3
        names = {r["username"]: (r["name"], r["total"]) for r in weekly["reviewers"]}
        reviewer = s.get(User, people["reviewer"])
    assert names == {"reviewer": (reviewer.display_name, 2), "editor": ("Editor", 1)}
    assert len(weekly["weeks"]) == 1


def test_the_dashboard_counts_approved_verdicts_apart_from_drafts(engine, people):
    with session_scope(engine) as s:
        _, made = make_article(s, "Verdicts", [f"Claim {i} with a verdict." for i in range(4)])
        for claim, (state, verdict) in zip(made, [("approved", "true"), ("approved", "true"),
                                                  ("in_review", "false"),
                                                  ("in_progress", "true")], strict=True):
            claim.state, claim.verdict = state, verdict
            s.add(claim)
        article_id = made[0].article_id
    with session_scope(engine, write=False) as s:
        for where in (None, article_id):
            results = {b.key: b.value for b in stats.by_verdict(s, where)}
            drafts = {b.key: b.value for b in stats.by_verdict(s, where, drafts=True)}
            assert results["true"] == 2 and results["false"] == 0
            assert drafts["true"] == 1 and drafts["false"] == 1

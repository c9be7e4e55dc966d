"""Bulk assignment: round-robin, skipping claims that cannot be assigned, editors only."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, Event, User
from annotator.services import articles, assignment, claims
from annotator.services.errors import Forbidden, Invalid

TEXT = " ".join(f"Claim number {i} says {i * 7} percent of buses were late in 202{i % 10}."
                for i in range(1, 8))


@pytest.fixture
def claim_ids(engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        article = articles.import_article(s, editor, articles.ImportRequest(text=TEXT))
        ids = []
        for i in range(6):
            start = TEXT.index(f"Claim number {i + 1} ")
            ids.append(claims.create_claim(s, editor, article.id, start, start + 20).id)
        return ids


def test_it_assigns_round_robin_in_reading_order(engine, people, claim_ids):
    reviewers = [people["reviewer"], people["reviewer2"]]
    with session_scope(engine) as s:
        assignment.bulk_assign(s, s.get(User, people["editor"]), claim_ids, reviewers)
    with session_scope(engine) as s:
        rows = s.exec(select(Claim).where(Claim.id.in_(claim_ids)).order_by(Claim.start)).all()
        assert [c.assignee_id for c in rows] == reviewers * 3
        assert {c.state for c in rows} == {"open"}  # assigning is not starting
        assert len(s.exec(select(Event).where(Event.action == "assign")).all()) == 6


def test_it_skips_claims_that_cannot_be_assigned(engine, people, claim_ids):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        claims.transition(s, editor, claim_ids[0], "dismiss")
        done = assignment.bulk_assign(s, editor, claim_ids, [people["reviewer"]])
        assert len(done) == 5


def test_only_editors_assign_and_only_to_reviewers(engine, people, claim_ids):
    with session_scope(engine) as s:
        with pytest.raises(Forbidden):
            assignment.bulk_assign(s, s.get(User, people["reviewer"]), claim_ids,
                                   [people["reviewer"]])
        with pytest.raises(Invalid):
            assignment.bulk_assign(s, s.get(User, people["editor"]), claim_ids,
                                   [people["viewer"]])
        with pytest.raises(Invalid):
            assignment.bulk_assign(s, s.get(User, people["editor"]), [], [people["reviewer"]])

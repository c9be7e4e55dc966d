"""Property-based: random actions by random people never break the workflow's invariants."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from annotator import review
from annotator.db import session_scope
from annotator.models import Article, Claim, Event, User
from annotator.services import articles, claims
from annotator.services.errors import ServiceError

PEOPLE = ("admin", "editor", "editor2", "reviewer", "reviewer2", "viewer")
VERDICTS = ("true", "false", "not_a_claim", None)

step = st.one_of(
    st.tuples(st.just("act"), st.sampled_from(PEOPLE), st.sampled_from(review.ACTIONS),
              st.sampled_from(PEOPLE)),
    st.tuples(st.just("edit"), st.sampled_from(PEOPLE), st.sampled_from(VERDICTS),
              st.sampled_from(("", "Checked against the report."))),
    st.tuples(st.just("claimant"), st.sampled_from(PEOPLE),
              st.sampled_from(("The port authority", "The minister")), st.just(None)),
    st.tuples(st.just("source"), st.sampled_from(PEOPLE), st.just(None), st.just(None)),
)


def _new_claim(session, people) -> int:
    editor = session.get(User, people["editor"])
    article = session.exec(select(Article)).first()
    if article is None:
        article = articles.import_article(session, editor, articles.ImportRequest(
            text="The port handled 3.1 million containers in 2024, the authority said."))
    return claims.create_claim(session, editor, article.id, 0, 40).id


@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=25))
# The four-eyes bypass: a reviewer submits, an editor rewrites the verdict and approves.
@example(steps=[("act", "reviewer", "start", "reviewer"),
                ("edit", "reviewer", "false", "Checked against the report."),
                ("source", "reviewer", None, None), ("act", "reviewer", "submit", "reviewer"),
                ("edit", "editor", "true", "Checked against the report."),
                ("act", "editor", "approve", "editor")])
# Co-authorship before submission counts too: the editor wrote the claimant.
@example(steps=[("act", "reviewer", "start", "reviewer"),
                ("claimant", "editor", "The minister", None),
                ("edit", "reviewer", "false", "Checked against the report."),
                ("source", "reviewer", None, None), ("act", "reviewer", "submit", "reviewer"),
                ("act", "editor", "approve", "editor")])
def test_random_sequences_keep_the_invariants(engine, people, steps):
    with session_scope(engine) as s:
        claim_id = _new_claim(s, people)
    for kind, who, what, extra in steps:
        try:
            with session_scope(engine) as s:
                actor = s.get(User, people[who])
                claim = s.get(Claim, claim_id)
                if kind == "act":
                    claims.transition(s, actor, claim_id, what, comment="because",
                                      assignee_id=people[extra])
                elif kind == "edit":
                    claims.update_claim(s, actor, claim_id, claim.version,
                                        {"verdict": what or "", "conclusion": extra})
                elif kind == "claimant":
                    claims.update_claim(s, actor, claim_id, claim.version, {"claimant": what})
                else:
                    claims.add_source(s, actor, claim_id, {"url": "https://a.example/s",
                                                           "stance": "supports"})
        except ServiceError:
            pass  # refused: the invariants must hold all the same
        _check_invariants(engine, claim_id)


def _check_invariants(engine, claim_id: int) -> None:
    with session_scope(engine) as s:
        claim = s.get(Claim, claim_id)
        if claim.state == review.APPROVED:
            assert claim.verdict and claim.conclusion.strip()
            assert claim.approved_by_id is not None
            assert claim.approved_by_id != claim.submitted_by_id
            approver = s.get(User, claim.approved_by_id)
            assert review.role_at_least(approver.role, review.EDITOR)
            _check_four_eyes(s, claim)
        # Every state change has exactly one event: replaying the transition events from
        # the start state must land on the current state, one event per change.
        state = review.OPEN  # a person's claim starts open
        changes = s.exec(select(Event).where(Event.claim_id == claim_id,
                                             Event.action.in_(review.ACTIONS))
                         .order_by(Event.id)).all()
        for event in changes:
            assert event.old["state"] == state
            state = event.new["state"]
        assert state == claim.state
        creates = s.exec(select(func.count()).where(Event.claim_id == claim_id,
                                                    Event.action == "create")).one()
        assert creates == 1


PUBLISHED = ("statement", "verdict", "conclusion", "claimant")


def _check_four_eyes(s, claim) -> None:
    """What an approval publishes was last written by someone other than the approver,
    and the approver changed none of it after the last submission."""
    history = s.exec(select(Event).where(Event.claim_id == claim.id).order_by(Event.id)).all()
    last_writer: dict[str, int | None] = {}
    since_submit: set[int] = set()
    for event in history:
        if event.action == "submit":
            since_submit = set()
        written = ["sources"] if event.action.endswith("_source") else [
            f for f in PUBLISHED if isinstance(event.new, dict) and f in event.new]
        for field in written:
            last_writer[field] = event.actor_id
            since_submit.add(event.actor_id)
    assert claim.approved_by_id not in last_writer.values()
    assert claim.approved_by_id not in since_submit

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from annotator import review
from annotator.review import (
    ACTIONS,
    FOUR_EYES_MESSAGE,
    ROLES,
    STATES,
    Actor,
    ClaimFacts,
    Forbidden,
    InvalidTransition,
    ReviewError,
    allowed_actions,
    can_edit,
    check,
    may,
    missing_for_submit,
    role_at_least,
)

ADMIN = Actor(1, "admin")
EDITOR = Actor(2, "editor")
OTHER_EDITOR = Actor(3, "editor")
REVIEWER = Actor(4, "reviewer")
OTHER_REVIEWER = Actor(5, "reviewer")
VIEWER = Actor(6, "viewer")

# Written out independently of review.py, so a change to the rules has to change both.
VALID_FROM = {
    "accept": {"proposed", "held_back"},
    "dismiss": {"proposed", "open", "held_back"},
    "restore": {"dismissed", "held_back"},
    "start": {"open"},
    "assign": {"open", "in_progress", "in_review"},
    "unassign": {"open", "in_progress"},
    "submit": {"in_progress"},
    "request_changes": {"in_review"},
    "approve": {"in_review"},
    "reopen": {"approved"},
}
LEAST_ROLE = {
    "accept": "reviewer",
    "dismiss": "reviewer",
    "restore": "reviewer",
    "start": "reviewer",
    "assign": "editor",
    "unassign": "editor",
    "submit": "reviewer",
    "request_changes": "editor",
    "approve": "editor",
    "reopen": "editor",
}
RANK = {"viewer": 1, "reviewer": 2, "editor": 3, "admin": 4}


def facts(
    state="in_progress",
    *,
    assignee=None,
    submitter=None,
    verdict="false",
    conclusion="The ministry's own figures contradict it.",
    sources=1,
    needs_source=True,
):
    """Build claim facts that are complete unless told otherwise."""
    return ClaimFacts(
        state=state,
        assignee_id=assignee,
        submitted_by_id=submitter,
        verdict=verdict,
        conclusion=conclusion,
        source_count=sources,
        verdict_needs_source=needs_source,
    )


def owned_by(actor, state):
    """Build a complete claim in ``state`` that ``actor`` may act on, bar the four-eyes rule."""
    assignee = None if state in ("held_back", "proposed", "open", "dismissed") else actor.id
    return facts(state, assignee=assignee, submitter=99)


def test_the_names_other_code_relies_on_are_stable():
    assert STATES == ("held_back", "proposed", "open", "in_progress", "in_review", "approved",
                      "dismissed")
    assert set(ACTIONS) == set(VALID_FROM)
    assert set(ROLES) == {"admin", "editor", "reviewer", "viewer"}


@pytest.mark.parametrize(
    ("state", "action", "to_state"),
    [
        ("proposed", "accept", "open"),
        ("proposed", "dismiss", "dismissed"),
        ("open", "dismiss", "dismissed"),
        ("dismissed", "restore", "proposed"),
        ("held_back", "restore", "proposed"),
        ("held_back", "accept", "open"),
        ("held_back", "dismiss", "dismissed"),
        ("open", "start", "in_progress"),
        ("open", "assign", "open"),  # assigning is not starting
        ("in_progress", "assign", "in_progress"),
        ("in_review", "assign", "in_review"),
        ("in_progress", "unassign", "open"),
        ("in_progress", "submit", "in_review"),
        ("in_review", "request_changes", "in_progress"),
        ("in_review", "approve", "approved"),
        ("approved", "reopen", "in_progress"),
    ],
)
def test_it_moves_a_claim_along_each_edge_of_the_workflow(state, action, to_state):
    t = check(owned_by(ADMIN, state), ADMIN, action, comment="why", assignee_id=REVIEWER.id)
    assert (t.action, t.from_state, t.to_state, t.actor_id) == (action, state, to_state, 1)


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for a in ACTIONS for s in STATES if s not in VALID_FROM[a]],
)
def test_it_refuses_an_action_that_is_not_valid_from_the_current_state(state, action):
    with pytest.raises(InvalidTransition) as excinfo:
        check(owned_by(ADMIN, state), ADMIN, action, comment="why", assignee_id=4)
    assert "You cannot" in excinfo.value.message


@pytest.mark.parametrize(("action", "role"), [(a, r) for a in ACTIONS for r in ROLES])
def test_it_lets_each_role_take_exactly_the_actions_its_rank_allows(action, role):
    actor = Actor(7, role)
    claim = owned_by(actor, sorted(VALID_FROM[action])[0])
    if RANK[role] >= RANK[LEAST_ROLE[action]]:
        assert check(claim, actor, action, comment="why", assignee_id=4).action == action
    else:
        with pytest.raises(Forbidden, match=f"need the {LEAST_ROLE[action]} role"):
            check(claim, actor, action, comment="why", assignee_id=4)


@pytest.mark.parametrize("action", ACTIONS)
def test_it_lets_an_inactive_user_do_nothing(action):
    actor = Actor(1, "admin", active=False)
    claim = owned_by(actor, sorted(VALID_FROM[action])[0])
    with pytest.raises(Forbidden, match="inactive"):
        check(claim, actor, action, comment="why", assignee_id=4)
    assert allowed_actions(claim, actor) == []


@pytest.mark.parametrize("actor", [ADMIN, VIEWER, Actor(1, "admin", active=False)])
def test_it_rejects_an_unknown_action_before_asking_who_is_asking(actor):
    with pytest.raises(InvalidTransition, match="Unknown action 'publish'"):
        check(facts(), actor, "publish")


def test_it_refuses_a_low_role_before_looking_at_the_state():
    with pytest.raises(Forbidden):
        check(facts("proposed"), VIEWER, "approve")


def test_it_treats_an_unknown_role_as_no_role_at_all():
    with pytest.raises(Forbidden):
        check(facts("proposed"), Actor(1, "superuser"), "accept")


def test_it_refuses_to_approve_own_verdict():
    claim = facts("in_review", assignee=EDITOR.id, submitter=EDITOR.id)
    with pytest.raises(Forbidden) as excinfo:
        check(claim, EDITOR, "approve")
    assert excinfo.value.message == FOUR_EYES_MESSAGE
    assert str(excinfo.value) == FOUR_EYES_MESSAGE


def test_it_applies_the_four_eyes_rule_to_admins_too():
    claim = facts("in_review", assignee=ADMIN.id, submitter=ADMIN.id)
    with pytest.raises(Forbidden, match="Another editor must approve"):
        check(claim, ADMIN, "approve")


def test_it_checks_four_eyes_before_the_content_of_the_claim():
    claim = facts("in_review", submitter=EDITOR.id, verdict=None, conclusion="")
    with pytest.raises(Forbidden, match="Another editor must approve"):
        check(claim, EDITOR, "approve")


def test_it_lets_another_editor_approve_and_record_the_approval():
    claim = facts("in_review", assignee=REVIEWER.id, submitter=REVIEWER.id)
    t = check(claim, EDITOR, "approve")
    assert t.to_state == "approved"
    assert t.records_approval and not t.clears_approval
    assert (t.assignee_id, t.submitted_by_id) == (REVIEWER.id, REVIEWER.id)


def test_it_lets_the_assignee_editor_approve_what_someone_else_submitted():
    # The rule is approver != submitter; being the assignee does not matter.
    claim = facts("in_review", assignee=EDITOR.id, submitter=OTHER_EDITOR.id)
    assert check(claim, EDITOR, "approve").to_state == "approved"


def test_it_refuses_to_approve_a_claim_emptied_while_in_review():
    claim = facts("in_review", submitter=REVIEWER.id, conclusion="  ")
    with pytest.raises(InvalidTransition, match="needs a conclusion"):
        check(claim, EDITOR, "approve")


@pytest.mark.parametrize(
    ("verdict", "conclusion", "sources", "needs_source", "missing"),
    [
        ("false", "Wrong.", 1, True, []),
        ("false", "Wrong.", 3, True, []),
        (None, "Wrong.", 1, True, ["a verdict"]),
        ("", "Wrong.", 1, True, ["a verdict"]),
        ("false", "", 1, True, ["a conclusion"]),
        ("false", " \n\t", 1, True, ["a conclusion"]),
        ("false", "Wrong.", 0, True, ["at least one source"]),
        (None, "", 0, True, ["a verdict", "a conclusion", "at least one source"]),
        ("opinion", "A value judgement.", 0, False, []),
        ("not_a_claim", "", 0, False, ["a conclusion"]),
    ],
)
def test_it_lists_what_a_claim_lacks_before_submitting(
    verdict, conclusion, sources, needs_source, missing
):
    claim = facts(
        "in_progress",
        assignee=REVIEWER.id,
        verdict=verdict,
        conclusion=conclusion,
        sources=sources,
        needs_source=needs_source,
    )
    assert missing_for_submit(claim) == missing
    if missing:
        with pytest.raises(InvalidTransition) as excinfo:
            check(claim, REVIEWER, "submit")
        assert all(item in excinfo.value.message for item in missing)
    else:
        assert check(claim, REVIEWER, "submit").to_state == "in_review"


def test_it_names_everything_missing_in_one_sentence():
    claim = facts(verdict=None, conclusion="", sources=0, assignee=REVIEWER.id)
    with pytest.raises(InvalidTransition) as excinfo:
        check(claim, REVIEWER, "submit")
    assert excinfo.value.message == (
        "Before submitting, add a verdict, a conclusion and at least one source."
    )


def test_it_submits_an_opinion_without_a_source():
    claim = facts(verdict="opinion", sources=0, needs_source=False, assignee=REVIEWER.id)
    t = check(claim, REVIEWER, "submit")
    assert (t.to_state, t.submitted_by_id) == ("in_review", REVIEWER.id)


def test_it_refuses_a_submission_from_a_reviewer_who_is_not_the_assignee():
    with pytest.raises(Forbidden, match="Only the assignee or an editor"):
        check(facts(assignee=REVIEWER.id), OTHER_REVIEWER, "submit")


def test_it_lets_an_editor_submit_for_the_assignee_and_records_the_editor():
    t = check(facts(assignee=REVIEWER.id), EDITOR, "submit")
    assert (t.assignee_id, t.submitted_by_id) == (REVIEWER.id, EDITOR.id)


@pytest.mark.parametrize(
    ("assignee", "actor", "outcome"),
    [
        (None, REVIEWER, REVIEWER.id),
        (REVIEWER.id, REVIEWER, REVIEWER.id),
        (OTHER_REVIEWER.id, REVIEWER, Forbidden),
        (None, EDITOR, EDITOR.id),
        (OTHER_REVIEWER.id, EDITOR, OTHER_REVIEWER.id),
    ],
)
def test_it_starts_a_claim_for_the_caller_unless_someone_else_holds_it(assignee, actor, outcome):
    claim = facts("open", assignee=assignee)
    if outcome is Forbidden:
        with pytest.raises(Forbidden, match="assigned to someone else"):
            check(claim, actor, "start")
    else:
        t = check(claim, actor, "start")
        assert (t.to_state, t.assignee_id) == ("in_progress", outcome)


def test_it_needs_someone_to_assign_the_claim_to():
    with pytest.raises(InvalidTransition, match="Choose someone"):
        check(facts("open"), EDITOR, "assign")


@pytest.mark.parametrize("state", ["in_progress", "in_review"])
def test_it_reassigns_a_claim_in_work_without_moving_it(state):
    claim = facts(state, assignee=REVIEWER.id, submitter=REVIEWER.id)
    t = check(claim, EDITOR, "assign", assignee_id=OTHER_REVIEWER.id)
    assert (t.to_state, t.assignee_id, t.changes_state) == (state, OTHER_REVIEWER.id, False)
    assert t.submitted_by_id == REVIEWER.id


@pytest.mark.parametrize(("state", "action"), [("in_progress", "unassign"), ("open", "dismiss")])
def test_it_clears_the_assignee_when_a_claim_leaves_work(state, action):
    t = check(facts(state, assignee=REVIEWER.id), EDITOR, action)
    assert t.assignee_id is None


@pytest.mark.parametrize(
    ("state", "action"), [("in_review", "request_changes"), ("approved", "reopen")]
)
@pytest.mark.parametrize("comment", [None, "", "   \n"])
def test_it_needs_a_comment_to_send_work_back(state, action, comment):
    claim = facts(state, assignee=REVIEWER.id, submitter=REVIEWER.id)
    with pytest.raises(InvalidTransition):
        check(claim, EDITOR, action, comment=comment)


def test_it_sends_work_back_with_the_comment_trimmed():
    claim = facts("in_review", assignee=REVIEWER.id, submitter=REVIEWER.id)
    t = check(claim, EDITOR, "request_changes", comment="  One more source on Ivanov.\n")
    assert (t.to_state, t.assignee_id, t.comment) == (
        "in_progress",
        REVIEWER.id,
        "One more source on Ivanov.",
    )


def test_it_reopens_an_approved_claim_and_withdraws_the_approval():
    claim = facts("approved", assignee=REVIEWER.id, submitter=REVIEWER.id)
    t = check(claim, EDITOR, "reopen", comment="New ministry figures.")
    assert (t.to_state, t.assignee_id, t.clears_approval) == ("in_progress", REVIEWER.id, True)


def test_it_gives_a_reopened_claim_with_nobody_on_it_to_the_editor():
    t = check(facts("approved", submitter=REVIEWER.id), EDITOR, "reopen", comment="Typo.")
    assert t.assignee_id == EDITOR.id


@pytest.mark.parametrize(
    ("claim", "actor", "expected"),
    [
        (facts("proposed"), REVIEWER, ["accept", "dismiss"]),
        (facts("open"), REVIEWER, ["dismiss", "start"]),
        (facts("open"), EDITOR, ["dismiss", "start", "assign"]),
        (facts("dismissed"), REVIEWER, ["restore"]),
        (facts("held_back"), REVIEWER, ["accept", "dismiss", "restore"]),
        (facts(assignee=REVIEWER.id), REVIEWER, ["submit"]),
        (facts(assignee=REVIEWER.id), OTHER_REVIEWER, []),
        (facts(assignee=REVIEWER.id, verdict=None), REVIEWER, []),
        (facts(assignee=REVIEWER.id), EDITOR, ["assign", "unassign", "submit"]),
        (
            facts("in_review", submitter=REVIEWER.id),
            EDITOR,
            ["assign", "request_changes", "approve"],
        ),
        (facts("in_review", submitter=EDITOR.id), EDITOR, ["assign", "request_changes"]),
        (facts("in_review", submitter=REVIEWER.id), REVIEWER, []),
        (facts("approved", submitter=REVIEWER.id), ADMIN, ["reopen"]),
        (facts("proposed"), VIEWER, []),
    ],
)
def test_it_offers_only_the_actions_check_allows_in_a_stable_order(claim, actor, expected):
    assert allowed_actions(claim, actor) == expected


@pytest.mark.parametrize(
    ("state", "actor", "assignee", "expected"),
    [
        ("in_progress", REVIEWER, REVIEWER.id, True),
        ("in_progress", REVIEWER, OTHER_REVIEWER.id, False),
        ("in_review", REVIEWER, REVIEWER.id, False),
        ("open", REVIEWER, None, False),
        ("proposed", REVIEWER, None, False),
        ("proposed", EDITOR, None, True),
        ("open", EDITOR, None, True),
        ("in_progress", EDITOR, REVIEWER.id, True),
        ("in_review", EDITOR, REVIEWER.id, True),
        ("approved", EDITOR, REVIEWER.id, False),
        ("approved", ADMIN, ADMIN.id, False),
        ("dismissed", ADMIN, None, False),
        ("held_back", ADMIN, None, False),
        ("in_progress", VIEWER, VIEWER.id, False),
        ("in_progress", Actor(4, "reviewer", active=False), 4, False),
        ("in_progress", Actor(2, "editor", active=False), None, False),
    ],
)
def test_it_lets_only_the_assignee_or_an_editor_edit_unfinished_claims(
    state, actor, assignee, expected
):
    assert can_edit(facts(state, assignee=assignee), actor) is expected


@pytest.mark.parametrize(
    ("role", "needed", "expected"),
    [
        ("admin", "editor", True),
        ("editor", "editor", True),
        ("reviewer", "editor", False),
        ("viewer", "reviewer", False),
        ("viewer", "viewer", True),
        ("admin", "viewer", True),
        ("superuser", "viewer", False),
        (None, "viewer", False),
    ],
)
def test_it_ranks_roles_admin_over_editor_over_reviewer_over_viewer(role, needed, expected):
    assert role_at_least(role, needed) is expected


def test_it_refuses_to_rank_against_an_unknown_role():
    with pytest.raises(ValueError, match="unknown role"):
        role_at_least("admin", "owner")


@pytest.mark.parametrize(
    ("role", "permission", "expected"),
    [
        (None, "public", True),
        (None, "read", False),
        ("viewer", "public", True),
        ("viewer", "read", True),
        ("viewer", "export", True),
        ("viewer", "review", False),
        ("reviewer", "review", True),
        ("reviewer", "edit_any", False),
        ("reviewer", "assign", False),
        ("editor", "edit_any", True),
        ("editor", "assign", True),
        ("editor", "admin", False),
        ("admin", "admin", True),
        ("superuser", "read", False),
        ("superuser", "public", True),
    ],
)
def test_it_grants_route_permissions_by_least_role(role, permission, expected):
    assert may(role, permission) is expected


def test_it_fails_loudly_on_an_unknown_permission():
    with pytest.raises(KeyError):
        may("admin", "delete_everything")


def test_every_permission_names_a_known_rank():
    for needed in review.PERMISSIONS.values():
        role_at_least("admin", needed)


# -- the workflow as a state machine ---------------------------------------------------------

POOL = (
    ADMIN,
    EDITOR,
    OTHER_EDITOR,
    REVIEWER,
    OTHER_REVIEWER,
    VIEWER,
    Actor(7, "editor", active=False),
)
HAPPY_PATH = ("accept", "start", "submit", "approve")
COMPLETE = {"verdict": "false", "conclusion": "Contradicted by the record.", "source_count": 1}

actors = st.sampled_from(POOL)
edits = st.fixed_dictionaries(
    {
        "verdict": st.sampled_from([None, "", "false", "opinion"]),
        "conclusion": st.sampled_from(["", " ", "Contradicted by the record."]),
        "source_count": st.integers(0, 2),
    }
)


class Workflow(RuleBasedStateMachine):
    """Drive one claim with random actions by random users, applying each transition."""

    def __init__(self):
        super().__init__()
        self.claim = facts("proposed", verdict=None, conclusion="", sources=0)
        self.approver = None

    def _take(self, actor, action, comment="Fix the date.", assignee_id=OTHER_REVIEWER.id):
        try:
            t = check(self.claim, actor, action, comment=comment, assignee_id=assignee_id)
        except ReviewError:
            return
        assert action in allowed_actions(self.claim, actor)
        self.claim = review.apply(self.claim, t)
        if t.records_approval:
            self.approver = actor
        if t.clears_approval:
            self.approver = None

    @rule(
        actor=actors,
        action=st.sampled_from(ACTIONS),
        comment=st.sampled_from([None, "", "Fix the date."]),
        assignee_id=st.sampled_from([None, *(a.id for a in POOL)]),
    )
    def try_any_action(self, actor, action, comment, assignee_id):
        self._take(actor, action, comment, assignee_id)

    @rule(actor=actors, index=st.integers(0, 9))
    def take_an_offered_action(self, actor, index):
        offered = allowed_actions(self.claim, actor)
        if offered:
            self._take(actor, offered[index % len(offered)])

    # Random walks seldom get past triage; this rule follows the path a diligent desk takes.
    @rule(actor=actors)
    def take_the_next_step(self, actor):
        offered = [a for a in HAPPY_PATH if a in allowed_actions(self.claim, actor)]
        if offered:
            self._take(actor, offered[0])

    @rule(actor=actors, values=edits | st.just(COMPLETE))
    def edit(self, actor, values):
        if can_edit(self.claim, actor):
            needs = values["verdict"] != "opinion"
            self.claim = dataclasses.replace(self.claim, **values, verdict_needs_source=needs)

    @invariant()
    def offers_exactly_what_check_allows(self):
        for actor in POOL:
            allowed = [
                a
                for a in ACTIONS
                if _allows(self.claim, actor, a, comment="Why.", assignee_id=REVIEWER.id)
            ]
            assert allowed_actions(self.claim, actor) == allowed

    @invariant()
    def approves_only_complete_work_checked_by_a_second_editor(self):
        claim, approver = self.claim, self.approver
        if claim.state == "approved":
            assert missing_for_submit(claim) == []
            assert approver is not None and approver.active
            assert role_at_least(approver.role, "editor")
            assert approver.id != claim.submitted_by_id
        if claim.state in ("in_review", "approved"):
            assert claim.submitted_by_id is not None

    @invariant()
    def keeps_someone_on_every_claim_in_work(self):
        # Every path into work names someone, so no claim falls out of every queue.
        # An open claim may already be assigned: assigning is not starting.
        if self.claim.state in ("in_progress", "in_review", "approved"):
            assert self.claim.assignee_id is not None
        elif self.claim.state != "open":
            assert self.claim.assignee_id is None


def _allows(claim, actor, action, **kwargs):
    """Return whether ``check`` lets the action through."""
    try:
        check(claim, actor, action, **kwargs)
    except ReviewError:
        return False
    return True


Workflow.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
test_no_sequence_of_actions_reaches_approved_without_a_verdict_and_a_second_editor = (
    Workflow.TestCase
)


def test_it_walks_the_desk_journey_from_proposal_to_approval():
    claim = facts("proposed", verdict=None, conclusion="", sources=0)
    claim = review.apply(claim, check(claim, EDITOR, "accept"))
    claim = review.apply(claim, check(claim, EDITOR, "assign", assignee_id=REVIEWER.id))
    assert claim.state == "open" and not can_edit(claim, REVIEWER)  # assigned, not started
    claim = review.apply(claim, check(claim, REVIEWER, "start"))
    assert can_edit(claim, REVIEWER)
    with pytest.raises(InvalidTransition):
        check(claim, REVIEWER, "submit")
    claim = dataclasses.replace(claim, verdict="false", conclusion="No.", source_count=2)
    claim = review.apply(claim, check(claim, REVIEWER, "submit"))
    claim = review.apply(claim, check(claim, EDITOR, "request_changes", comment="One more."))
    claim = review.apply(claim, check(claim, REVIEWER, "submit"))
    t = check(claim, EDITOR, "approve")
    claim = review.apply(claim, t)
    assert claim.state == "approved" and t.records_approval
    assert allowed_actions(claim, REVIEWER) == []
    assert not can_edit(claim, EDITOR)


# blocked_reasons: why a button is disabled

def test_blocked_reasons_say_what_the_claim_lacks():
    claim = facts("in_progress", assignee=REVIEWER.id, verdict=None, sources=0)
    reasons = review.blocked_reasons(claim, REVIEWER)
    assert reasons["submit"] == "Needs a verdict and a source."
    assert "approve" not in reasons  # above a reviewer's role: no button at all
    assert reasons["accept"].startswith("You cannot ")


def test_blocked_reasons_name_the_four_eyes_rule():
    submitted = facts("in_review", submitter=EDITOR.id)
    assert review.blocked_reasons(submitted, EDITOR)["approve"] == (
        "Another editor must approve: you submitted this verdict.")
    edited = dataclasses.replace(facts("in_review", submitter=REVIEWER.id),
                                 edited_since_submit=frozenset({EDITOR.id}))
    assert review.blocked_reasons(edited, EDITOR)["approve"] == (
        "Another editor must approve: you edited this claim after it was submitted.")
    assert "approve" not in review.blocked_reasons(edited, OTHER_EDITOR)
    wrote = dataclasses.replace(facts("in_review", submitter=REVIEWER.id),
                                last_writers=frozenset({EDITOR.id}))
    with pytest.raises(Forbidden, match="you wrote part of what gets published"):
        check(wrote, EDITOR, "approve")


@settings(max_examples=200)
@given(state=st.sampled_from(STATES), role=st.sampled_from(ROLES),
       verdict=st.sampled_from([None, "true"]), sources=st.integers(0, 2),
       submitter=st.sampled_from([None, 2, 4]), edited=st.booleans())
def test_every_action_of_the_role_is_either_allowed_or_has_a_reason(state, role, verdict,
                                                                     sources, submitter,
                                                                     edited):
    actor = Actor(2, role)
    claim = dataclasses.replace(
        facts(state, submitter=submitter, verdict=verdict, sources=sources),
        edited_since_submit=frozenset({2}) if edited else frozenset())
    allowed, reasons = set(allowed_actions(claim, actor)), review.blocked_reasons(claim, actor)
    assert allowed.isdisjoint(reasons)
    assert allowed | set(reasons) == {a for a in ACTIONS
                                      if role_at_least(role, review._RULES[a].role)}
    assert all(r.endswith(".") for r in reasons.values())

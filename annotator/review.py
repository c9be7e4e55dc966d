"""Decide who may move a claim through the review workflow, and where it goes.

This module is the one place the workflow rules live. It is pure: it takes plain facts
about a claim and the acting user, and answers with a ``Transition`` (what to write) or
raises a ``ReviewError`` (what to tell the user). Services apply the transition and record
the event; views and the API only ask ``allowed_actions`` and ``may`` what to offer.

``check`` tests, in this order, and raises on the first failure:

1. the action is unknown                          -> ``InvalidTransition`` (409)
2. the user is inactive, or their role is too low -> ``Forbidden`` (403)
3. the action is not valid from the claim's state -> ``InvalidTransition`` (409)
4. the claim belongs to someone else, or the
   four-eyes rule fails (see ``authors_of``)       -> ``Forbidden`` (403)
5. a precondition is unmet (verdict, conclusion,
   source, comment, assignee)                     -> ``InvalidTransition`` (409)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# -- states ------------------------------------------------------------------------------

HELD_BACK = "held_back"  # a sentence the proposal budget held back (issue 20)
PROPOSED = "proposed"
OPEN = "open"
IN_PROGRESS = "in_progress"
IN_REVIEW = "in_review"
APPROVED = "approved"
DISMISSED = "dismissed"

STATES: tuple[str, ...] = (HELD_BACK, PROPOSED, OPEN, IN_PROGRESS, IN_REVIEW, APPROVED,
                           DISMISSED)

STATE_LABELS: dict[str, str] = {
    HELD_BACK: "held back",
    PROPOSED: "proposed",
    OPEN: "open",
    IN_PROGRESS: "in progress",
    IN_REVIEW: "in review",
    APPROVED: "approved",
    DISMISSED: "dismissed",
}

# -- actions -----------------------------------------------------------------------------

ACCEPT = "accept"
DISMISS = "dismiss"
RESTORE = "restore"
START = "start"
ASSIGN = "assign"
UNASSIGN = "unassign"
SUBMIT = "submit"
REQUEST_CHANGES = "request_changes"
APPROVE = "approve"
REOPEN = "reopen"

# The order here is the order ``allowed_actions`` returns, so buttons never jump around.
ACTIONS: tuple[str, ...] = (
    ACCEPT,
    DISMISS,
    RESTORE,
    START,
    ASSIGN,
    UNASSIGN,
    SUBMIT,
    REQUEST_CHANGES,
    APPROVE,
    REOPEN,
)

# -- roles -------------------------------------------------------------------------------

ADMIN = "admin"
EDITOR = "editor"
REVIEWER = "reviewer"
VIEWER = "viewer"

ROLES: tuple[str, ...] = (ADMIN, EDITOR, REVIEWER, VIEWER)

# Not a role a user can hold: the rank of someone who is not logged in.
ANONYMOUS = "anonymous"

_RANK: dict[str, int] = {ANONYMOUS: 0, VIEWER: 1, REVIEWER: 2, EDITOR: 3, ADMIN: 4}


@dataclass(frozen=True)
class _Rule:
    """Describe one action: who may take it, from where, and where it leads."""

    role: str
    sources: tuple[str, ...]
    # None means "stay in the current state" (assign on a claim already being worked on).
    target: str | None
    verb: str


_RULES: dict[str, _Rule] = {
    ACCEPT: _Rule(REVIEWER, (PROPOSED, HELD_BACK), OPEN, "accept"),
    DISMISS: _Rule(REVIEWER, (PROPOSED, OPEN, HELD_BACK), DISMISSED, "dismiss"),
    RESTORE: _Rule(REVIEWER, (DISMISSED, HELD_BACK), PROPOSED, "restore"),
    START: _Rule(REVIEWER, (OPEN,), IN_PROGRESS, "start"),
    ASSIGN: _Rule(EDITOR, (OPEN, IN_PROGRESS, IN_REVIEW), None, "assign"),
    UNASSIGN: _Rule(EDITOR, (OPEN, IN_PROGRESS), OPEN, "unassign"),
    SUBMIT: _Rule(REVIEWER, (IN_PROGRESS,), IN_REVIEW, "submit"),
    REQUEST_CHANGES: _Rule(EDITOR, (IN_REVIEW,), IN_PROGRESS, "request changes on"),
    APPROVE: _Rule(EDITOR, (IN_REVIEW,), APPROVED, "approve"),
    REOPEN: _Rule(EDITOR, (APPROVED,), IN_PROGRESS, "reopen"),
}

FOUR_EYES_MESSAGE = "Another editor must approve: you submitted this verdict."
EDITED_AFTER_SUBMIT_MESSAGE = (
    "Another editor must approve: you edited this claim after it was submitted.")
WROTE_LAST_MESSAGE = "Another editor must approve: you wrote part of what gets published."

# What an approval publishes. Whoever last wrote one of these (or changed one after the
# claim was submitted) is a co-author and cannot approve it. ``published_url`` is not here:
# it records where an approved fact-check went out.
PUBLISHED_FIELDS: tuple[str, ...] = ("statement", "verdict", "conclusion", "claimant",
                                     "sources")


# -- data in and out ---------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Describe the user attempting an action."""

    id: int
    role: str
    active: bool = True


@dataclass(frozen=True)
class ClaimFacts:
    """Hold what the rules need to know about a claim, and nothing else."""

    state: str
    assignee_id: int | None
    submitted_by_id: int | None
    verdict: str | None
    conclusion: str
    source_count: int
    # Taken from the verdict scale: "not a claim" and "opinion" need no source by default.
    verdict_needs_source: bool = True
    # People who changed a published field (PUBLISHED_FIELDS) since the last submission.
    edited_since_submit: frozenset[int] = frozenset()
    # The last writer of each published field (statement, verdict, ..., sources).
    last_writers: frozenset[int] = frozenset()
    # Issue 22: each source's snapshot and quote status when the desk's publishing gate is
    # on (approval needs one source archived with its quote found); None when it is off.
    evidence: tuple[SourceEvidence, ...] | None = None


# Issue 22: what the publishing gate knows of one source.
@dataclass(frozen=True)
class SourceEvidence:
    label: str  # the source's title, else its address
    snapshot: str  # "" (none tried), pending, stored or failed
    quote: str  # found, not_found or none


def evidence_gap(evidence: tuple[SourceEvidence, ...] | None) -> str | None:
    """Say which source is missing what, when the gate is on and no source qualifies."""
    if evidence is None or any(e.snapshot == "stored" and e.quote == "found"
                               for e in evidence):
        return None
    if not evidence:
        return "Needs a source archived with its quote found on the page."
    missing = []
    for e in evidence[:3]:
        label = e.label if len(e.label) <= 60 else e.label[:57] + "..."
        if e.snapshot != "stored":
            what = {"pending": "is still being archived", "failed": "could not be archived"
                    }.get(e.snapshot, "has no snapshot")
        elif e.quote == "none":
            what = "has no excerpt to look for"
        else:
            what = "has its quote not found on the page"
        missing.append(f"“{label}” {what}")
    more = f" (and {len(evidence) - 3} more)" if len(evidence) > 3 else ""
    return ("Needs a source archived with its quote found on the page: "
            + "; ".join(missing) + more + ".")


@dataclass(frozen=True)
class Transition:
    """Describe the outcome of an allowed action: the values to write, and the event."""

    action: str
    actor_id: int
    from_state: str
    to_state: str
    # The claim's assignee after the action (not a delta: write it as is).
    assignee_id: int | None
    # The claim's submitter after the action; ``submit`` sets it to the actor.
    submitted_by_id: int | None
    # True for ``approve``: record the actor as approver and stamp the time.
    records_approval: bool = False
    # True for ``reopen``: the approval no longer stands (ClaimReview gets dateModified).
    clears_approval: bool = False
    comment: str | None = None

    @property
    def changes_state(self) -> bool:
        """Return whether the claim's state differs after the action."""
        return self.from_state != self.to_state


class ReviewError(Exception):
    """Refuse an action, with a message fit to show the user.

    ``reason`` is the short form a disabled button shows ("Needs a source."); it is the
    message itself unless a shorter one exists.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or message


class Forbidden(ReviewError):
    """Refuse because of who is asking (HTTP 403)."""


class InvalidTransition(ReviewError):
    """Refuse because of the claim's state or missing content (HTTP 409)."""


class WrongState(InvalidTransition):
    """Refuse an action that never applies from the claim's state: the UI shows no button
    for it, where a missing source or the four-eyes rule gets a disabled one."""


# -- rules -------------------------------------------------------------------------------


def role_at_least(role: str | None, needed: str) -> bool:
    """Return whether ``role`` ranks at or above ``needed``; unknown roles rank nowhere."""
    if needed not in _RANK:
        # A typo in a rule table should fail loudly, not silently deny everyone.
        raise ValueError(f"unknown role {needed!r}")
    if role not in _RANK or role == ANONYMOUS:
        # "anonymous" is not a role anyone holds, so it never passes as one.
        return needed == ANONYMOUS
    return _RANK[role] >= _RANK[needed]


def missing_for_submit(claim: ClaimFacts) -> list[str]:
    """List, in words, what the claim still lacks before it can be submitted."""
    missing = []
    if not (claim.verdict or "").strip():
        missing.append("a verdict")
    if not (claim.conclusion or "").strip():
        missing.append("a conclusion")
    if claim.verdict_needs_source and claim.source_count < 1:
        missing.append("at least one source")
    return missing


def can_edit(claim: ClaimFacts, actor: Actor) -> bool:
    """Return whether the actor may change the claim's statement, verdict, conclusion or sources."""
    if not actor.active or not role_at_least(actor.role, REVIEWER):
        return False
    # Approved claims are reopened first (that leaves an event); dismissed and held-back
    # ones restored.
    if claim.state in (APPROVED, DISMISSED, HELD_BACK) or claim.state not in STATES:
        return False
    if role_at_least(actor.role, EDITOR):
        return True
    return claim.state == IN_PROGRESS and claim.assignee_id == actor.id


def check(
    claim: ClaimFacts,
    actor: Actor,
    action: str,
    *,
    comment: str | None = None,
    assignee_id: int | None = None,
) -> Transition:
    """Return the transition ``action`` makes, or raise the reason it is refused.

    ``assignee_id`` is used by ``assign`` only and ignored otherwise. Whether that user
    exists and may review is the caller's to check: this module sees ids, not users.
    """
    rule = _RULES.get(action)
    if rule is None:
        raise InvalidTransition(f"Unknown action {action!r}.")

    if not actor.active:
        raise Forbidden("Your account is inactive.")
    if not role_at_least(actor.role, rule.role):
        raise Forbidden(f"You need the {rule.role} role to {rule.verb} a claim.")

    if claim.state not in rule.sources:
        here = STATE_LABELS.get(claim.state, repr(claim.state))
        there = " or ".join(STATE_LABELS[s] for s in rule.sources)
        raise WrongState(
            f"You cannot {rule.verb} a claim that is {here}; it must be {there}."
        )

    is_editor = role_at_least(actor.role, EDITOR)
    note = (comment or "").strip() or None
    assignee = claim.assignee_id
    submitter = claim.submitted_by_id
    target = rule.target or claim.state

    if action == START:
        if assignee is not None and assignee != actor.id and not is_editor:
            raise Forbidden("This claim is assigned to someone else.")
        # An editor starting a colleague's claim leaves it with that colleague.
        assignee = assignee if assignee is not None else actor.id
    elif action == SUBMIT:
        if assignee != actor.id and not is_editor:
            raise Forbidden("Only the assignee or an editor may submit this claim.")
        _require_content(claim, "Before submitting, add")
        submitter = actor.id
    elif action == APPROVE:
        if submitter == actor.id:
            raise Forbidden(FOUR_EYES_MESSAGE)
        if actor.id in claim.edited_since_submit:
            raise Forbidden(EDITED_AFTER_SUBMIT_MESSAGE)
        if actor.id in claim.last_writers:
            raise Forbidden(WROTE_LAST_MESSAGE)
        # Editors may edit a claim in review, so what was complete at submit may not be now.
        _require_content(claim, "Before approving, the claim needs")
        gap = evidence_gap(claim.evidence)  # issue 22: the desk's optional publishing gate
        if gap:
            raise InvalidTransition(gap)
    elif action == ASSIGN:
        if assignee_id is None:
            raise InvalidTransition("Choose someone to assign the claim to.")
        # Assigning is not starting: the claim stays open until its assignee starts it.
        assignee = assignee_id
    elif action == UNASSIGN and assignee is None:
        raise InvalidTransition("You cannot unassign a claim nobody is assigned to.")
    elif action in (UNASSIGN, DISMISS, RESTORE):
        # Nobody is working on an open, proposed or dismissed claim.
        assignee = None
    elif action == REQUEST_CHANGES:
        if note is None:
            raise InvalidTransition("Say what needs to change: a comment is required.")
    elif action == REOPEN:
        if note is None:
            raise InvalidTransition("Give a reason for reopening an approved claim.")
        # A claim in progress with nobody on it would drop out of every queue.
        assignee = assignee if assignee is not None else actor.id

    return Transition(
        action=action,
        actor_id=actor.id,
        from_state=claim.state,
        to_state=target,
        assignee_id=assignee,
        submitted_by_id=submitter,
        records_approval=action == APPROVE,
        clears_approval=action == REOPEN,
        comment=note,
    )


def _require_content(claim: ClaimFacts, lead: str) -> None:
    """Raise ``InvalidTransition`` naming what the claim lacks, if anything."""
    missing = missing_for_submit(claim)
    if missing:
        short = [m.replace("at least one source", "a source") for m in missing]
        raise InvalidTransition(f"{lead} {_join(missing)}.", f"Needs {_join(short)}.")


def _join(items: list[str]) -> str:
    """Join words as prose: "a, b and c"."""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def allowed_actions(claim: ClaimFacts, actor: Actor) -> list[str]:
    """List the actions ``check`` would allow, in ``ACTIONS`` order.

    A comment and an assignee are assumed to be supplied, since the form asks for them.
    """
    allowed = []
    for action in ACTIONS:
        try:
            check(claim, actor, action, comment="(given)", assignee_id=actor.id)
        except ReviewError:
            continue
        allowed.append(action)
    return allowed


def blocked(claim: ClaimFacts, actor: Actor) -> dict[str, ReviewError]:
    """Map each action the actor's role could take, but cannot take now, to its refusal.

    The refusal's class is its code: ``WrongState`` for an action that never applies from
    this state, ``Forbidden`` for who is asking, ``InvalidTransition`` for missing content.
    """
    found: dict[str, ReviewError] = {}
    for action in ACTIONS:
        if not role_at_least(actor.role, _RULES[action].role):
            continue
        try:
            check(claim, actor, action, comment="(given)", assignee_id=actor.id)
        except ReviewError as exc:
            found[action] = exc
    return found


def blocked_reasons(claim: ClaimFacts, actor: Actor) -> dict[str, str]:
    """Map each action the actor's role could take, but cannot take now, to the reason why.

    Keys follow ``ACTIONS`` order; actions above the actor's role are left out (nobody
    shows a button for them). Each value is one sentence fit for a disabled button's title,
    a 403 detail or a 409 ``detail.reason``: "Needs a source.", "Another editor must
    approve: you submitted this verdict.", "You cannot approve a claim that is open; it
    must be in review." (state reasons start "You cannot").
    """
    return {action: exc.reason for action, exc in blocked(claim, actor).items()}


def authors_of(last_writer: dict[str, int | None],
               changed_since_submit: set[int] | frozenset[int]) -> tuple[frozenset[int],
                                                                          frozenset[int]]:
    """Return (edited_since_submit, last_writers) for ``ClaimFacts`` from a claim's history.

    ``last_writer`` maps each published field to the user who last wrote it (None when no
    person did, e.g. the extractor); ``changed_since_submit`` holds everyone who changed a
    published field after the last submission. Neither may approve: whoever approves did
    not write what gets published.
    """
    writers = frozenset(uid for f, uid in last_writer.items()
                        if f in PUBLISHED_FIELDS and uid is not None)
    return frozenset(changed_since_submit), writers


def apply(claim: ClaimFacts, transition: Transition) -> ClaimFacts:
    """Return the claim facts as they stand after the transition."""
    return dataclasses.replace(
        claim,
        state=transition.to_state,
        assignee_id=transition.assignee_id,
        submitted_by_id=transition.submitted_by_id,
    )


# -- blind second review ------------------------------------------------------------------


# A first verdict is hidden only while the claim is being worked on or reviewed: once
# approved it is the desk's published answer.
BLIND_STATES: tuple[str, ...] = (IN_PROGRESS, IN_REVIEW)
# What a blinded reader sees in place of a first verdict and conclusion, wherever they
# appear (the claim, its history's old and new values, an export): the one redaction rule.
BLIND_HIDDEN = "hidden (blind review)"
BLIND_FIELDS: tuple[str, ...] = ("verdict", "conclusion")


def redact_values(value):
    """Replace verdict and conclusion inside an event's old/new values (a dict); else as is."""
    if isinstance(value, dict):
        return {k: (BLIND_HIDDEN if k in BLIND_FIELDS and v not in (None, "") else v)
                for k, v in value.items()}
    return value


def blind_to(*, article_blind: bool, actor: Actor | None, assignee_id: int | None,
             submitted_by_id: int | None, recorded_own: bool, state: str = IN_REVIEW,
             has_verdict: bool = True) -> bool:
    """Tell whether the first verdict must be hidden from this person (blind second review).

    On a blind article, anyone below editor who is neither the claim's assignee nor its
    submitter sees no verdict or conclusion of a claim in progress or in review until they
    have recorded their own. This is the one rule; ``services.blind.verdict_visible`` is
    the same rule as a SQL condition (a test checks they agree).
    """
    if actor is None or not article_blind or role_at_least(actor.role, EDITOR):
        return False
    if state not in BLIND_STATES or not has_verdict:
        return False
    if actor.id in (assignee_id, submitted_by_id):
        return False
    return not recorded_own


def may_record_blind(*, article_blind: bool, state: str, actor: Actor,
                     assignee_id: int | None, submitted_by_id: int | None) -> bool:
    """Tell whether this person may record an independent second verdict now."""
    return (article_blind and state == IN_REVIEW and actor.active
            and role_at_least(actor.role, REVIEWER)
            and actor.id not in (assignee_id, submitted_by_id))


# -- route permissions -------------------------------------------------------------------

# The least role each permission needs. Views check a permission, never a role by name.
PERMISSIONS: dict[str, str] = {
    "public": ANONYMOUS,  # anyone, logged in or not: login page, openapi.json
    "read": VIEWER,  # articles, claims, history
    "export": VIEWER,  # viewers read everything and export it
    "review": REVIEWER,  # notes, sources, edits and transitions (review.check decides which)
    "import": EDITOR,  # bring in articles and add claims
    "edit_any": EDITOR,  # edit claims assigned to someone else
    "assign": EDITOR,  # assign, bulk-assign, unassign
    "admin": ADMIN,  # users, verdict scale, API tokens
}


def may(role: str | None, permission: str) -> bool:
    """Return whether a user with ``role`` holds ``permission``; None means anonymous.

    Pass None for an inactive user too. An unknown permission raises ``KeyError``.
    """
    return role_at_least(role, PERMISSIONS[permission])

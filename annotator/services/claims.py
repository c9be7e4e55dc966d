"""Claim use cases: edit with optimistic locking, sources, notes, workflow transitions."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from annotator import extract, review
from annotator.extract import attribution
from annotator.models import (
    STANCES,
    Article,
    Claim,
    ClaimUpdate,
    Event,
    Note,
    NoteCreate,
    Source,
    SourceCreate,
    User,
    Verdict,
    max_length,
    utcnow,
)
from annotator.sanitize import is_safe_url
from annotator.services import events, evidence, params, webhooks
from annotator.services.articles import parse_date
from annotator.services.errors import Conflict, Forbidden, Invalid, NotFound

EDITABLE = ("statement", "verdict", "conclusion", "claimant")
CONTEXT = 32


def _statement_from(typed: str | None, quote: str) -> str:
    """Return a new claim's statement: what the person typed (refused when too long), or the
    selected text, shortened visibly (an ellipsis) when it is longer than a statement."""
    limit = max_length(ClaimUpdate, "statement")
    typed = (typed or "").strip()
    if typed:
        params.validated(ClaimUpdate, {"version": 1, "statement": typed})
        return typed
    quote = quote.strip()
    return quote if len(quote) <= limit else quote[:limit - 1].rstrip() + "\u2026"


def _suggested_claimant(article: Article, start: int, end: int) -> str:
    return attribution.suggested_claimant(article.body, article.byline or article.outlet or "",
                                          article.published, start, end)


def get_claim(session: Session, claim_id: int) -> Claim:
    """Return a claim by id."""
    claim = read_claim(session, claim_id)
    # Whatever this transaction does next, its event names the fields it changed.
    events.remember(session, claim.id)
    return claim


def read_claim(session: Session, claim_id: int) -> Claim:
    """Return a claim by id to show it: nothing this transaction writes follows.

    Unlike ``get_claim`` it takes no note of the published values for the history, which
    saves reading the claim's sources again on every panel, poll and document.
    """
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("No such claim.")
    return claim


def actor_of(user: User) -> review.Actor:
    """Describe a user for the workflow rules."""
    return review.Actor(id=user.id, role=user.role, active=user.active)


def _authorship(session: Session, claim: Claim, history: list[Event] | None = None
                ) -> tuple[frozenset[int], frozenset[int]]:
    """Read from the claim's recorded authorship who wrote what an approval would publish.

    Only each event's ``fields`` counts (what the action was seen to change), never the
    keys of its payload; history brought in by an import (``imported``) counts for nothing.
    ``history``: every event of the claim, oldest first, when the caller has just read it.
    """
    if history is not None:
        rows = [(e.action, e.actor_id, e.fields) for e in history if not e.imported]
    else:
        rows = session.exec(select(Event.action, Event.actor_id, Event.fields)
                            .where(Event.claim_id == claim.id, Event.imported.is_(False))
                            .order_by(Event.id)).all()
    last_writer: dict[str, int | None] = {}
    since_submit: set[int] = set()
    for action, actor_id, fields in rows:
        if action == review.SUBMIT:
            since_submit = set()
            continue
        written = [f for f in (fields or []) if f in review.PUBLISHED_FIELDS]
        for field in written:
            last_writer[field] = actor_id
        if written and actor_id is not None:
            since_submit.add(actor_id)
    return review.authors_of(last_writer, since_submit)


def facts(session: Session, claim: Claim, sources: list[Source] | None = None,
          history: list[Event] | None = None) -> review.ClaimFacts:
    """Gather what the workflow rules need to know about a claim.

    ``sources`` and ``history``: the claim's sources, and all its events oldest first, when
    the caller has just read them.
    """
    count = len(sources if sources is not None else events.claim_sources(session, claim.id))
    needs = True
    if claim.verdict:
        verdict = session.get(Verdict, claim.verdict)
        needs = verdict.needs_source if verdict else True
    edited_since_submit, last_writers = _authorship(session, claim, history)
    return review.ClaimFacts(
        state=claim.state,
        assignee_id=claim.assignee_id,
        submitted_by_id=claim.submitted_by_id,
        verdict=claim.verdict,
        conclusion=claim.conclusion or "",
        source_count=count,
        verdict_needs_source=needs,
        edited_since_submit=edited_since_submit,
        last_writers=last_writers,
        evidence=evidence.evidence_of(session, claim.id),  # issue 22: the publishing gate
    )


def allowed_actions(session: Session, claim: Claim, user: User) -> list[str]:
    """Return the actions review.py lets this user take on this claim now."""
    return review.allowed_actions(facts(session, claim), actor_of(user))


def blocked_reasons(session: Session, claim: Claim, user: User) -> dict[str, str]:
    """Return, per action this user's role could take but cannot now, the reason why."""
    return review.blocked_reasons(facts(session, claim), actor_of(user))


def can_edit(session: Session, claim: Claim, user: User) -> bool:
    """Tell whether this user may change the claim's content now."""
    return review.can_edit(facts(session, claim), actor_of(user))


def _require_edit(session: Session, claim: Claim, user: User) -> None:
    if not can_edit(session, claim, user):
        if not review.role_at_least(user.role, review.REVIEWER):
            raise Forbidden("Your role can read claims but not change them.")
        if claim.state == review.APPROVED:
            raise Forbidden("This claim is approved; an editor must reopen it first.")
        raise Forbidden("Start or be assigned this claim before you change it.")


def _bump(session: Session, claim: Claim, expected: int, values: dict) -> None:
    """Write values only if the claim is still at the expected version, else refuse."""
    values = {**values, "version": expected + 1, "updated_at": utcnow()}
    # The row comes back with the update (RETURNING) and refreshes the loaded claim, as the
    # database stored it: one round trip, not an update and a read. No session
    # synchronisation: scanning every loaded object per update would make a bulk
    # assignment quadratic.
    written = session.exec(
        update(Claim).where(Claim.id == claim.id, Claim.version == expected).values(**values)
        .returning(Claim)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).first()
    if written is None:
        session.refresh(claim)
        raise Conflict(
            "Someone else saved this claim while you were editing it. Nothing of yours was "
            "overwritten: compare the two versions and choose what to keep.",
            claim,
        )


def _version(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid("The save is missing the claim's version; reload the claim.") from None


def update_claim(session: Session, user: User, claim_id: int, version, changes: dict) -> Claim:
    """Change statement, verdict or conclusion if the caller's version is current."""
    if changes.get("published_url") is not None:
        # Where the desk published it: an editor's change, allowed on an approved claim.
        from annotator.services import publish

        rest = {k: v for k, v in changes.items() if k != "published_url" and v is not None}
        if rest:
            version = update_claim(session, user, claim_id, version, rest).version
        return publish.set_published_url(session, user, claim_id, changes["published_url"],
                                         version)
    claim = get_claim(session, claim_id)
    expected = _version(version)
    _require_edit(session, claim, user)
    # The model's field rules (lengths, types), the same on every face: never cut, refused.
    params.validated(ClaimUpdate, {"version": expected, **{
        k: v for k, v in changes.items() if k in EDITABLE and v is not None}})
    values = {}
    for field in EDITABLE:
        if field not in changes or changes[field] is None:
            continue
        value = changes[field]
        if field == "verdict":
            value = (value or "").strip() or None
            if value is not None and session.get(Verdict, value) is None:
                raise Invalid(f"Unknown verdict {value!r}.", field="verdict")
        else:
            value = str(value).replace("\r\n", "\n").strip()
            if field == "statement" and not value:
                raise Invalid("The statement cannot be empty.", field="statement")
            if field == "claimant":
                value = " ".join(value.split())
        if value != getattr(claim, field):
            values[field] = value
    if claim.version != expected:
        raise Conflict(
            "Someone else saved this claim while you were editing it. Nothing of yours was "
            "overwritten: compare the two versions and choose what to keep.",
            claim,
        )
    if not values:
        return claim
    old = {f: getattr(claim, f) for f in values}
    _bump(session, claim, expected, values)
    events.record(session, "edit", actor=user, article_id=claim.article_id, claim_id=claim.id,
                  old=old, new=values)
    return claim


def _source_fields(form: dict) -> dict:
    """Return a source's fields from a form or a JSON body, held to SourceCreate's rules.

    Every field of ``SourceBase`` is read, so a field added there needs nothing here; a
    value too long is refused with the field named, never cut.
    """
    fields = {name: _text(form, name) for name in SourceCreate.model_fields}
    params.validated(SourceCreate, {**fields, "published": None})  # lengths first
    if not is_safe_url(fields["url"]):
        raise Invalid("A source needs a web address starting with http:// or https://.",
                      field="url")
    if fields["archived_url"] and not is_safe_url(fields["archived_url"]):
        raise Invalid("The archived copy's address must start with http:// or https://.",
                      field="archived_url")
    if fields["stance"] not in STANCES:
        raise Invalid("Choose whether the source supports, refutes or gives context.",
                      field="stance")
    fields["published"] = parse_date(fields["published"], "The source's date")
    return params.validated(SourceCreate, fields).model_dump()


def _text(form: dict, name: str) -> str:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise Invalid(f"{name} must be text.", field=name)
    return (value or "").strip()


def _source_event_value(source: Source) -> dict:
    values = {name: getattr(source, name) for name in SourceCreate.model_fields}
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


def add_source(session: Session, user: User, claim_id: int, form: dict) -> Source:
    """Attach a source; adding cannot overwrite anyone's work, so it needs no version."""
    claim = get_claim(session, claim_id)
    _require_edit(session, claim, user)
    source = Source(claim_id=claim.id, created_by_id=user.id, **_source_fields(form))
    session.add(source)
    session.flush()
    events.record(session, "add_source", actor=user, article_id=claim.article_id,
                  claim_id=claim.id, new={"id": source.id, **_source_event_value(source)})
    return source


def _get_source(session: Session, claim: Claim, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None or source.claim_id != claim.id:
        raise NotFound("No such source on this claim.")
    return source


def update_source(
    session: Session, user: User, claim_id: int, source_id: int, form: dict
) -> Source:
    """Change a source if it has not changed since the caller loaded it."""
    claim = get_claim(session, claim_id)
    _require_edit(session, claim, user)
    source = _get_source(session, claim, source_id)
    loaded = (form.get("updated_at") or "").strip()
    if loaded and loaded != source.updated_at.isoformat():
        raise Conflict("Someone else changed this source meanwhile; reload it and try again.",
                       claim)
    old = _source_event_value(source)
    for key, value in _source_fields(form).items():
        setattr(source, key, value)
    source.updated_at = utcnow()
    session.add(source)
    session.flush()
    events.record(session, "edit_source", actor=user, article_id=claim.article_id,
                  claim_id=claim.id, old={"id": source.id, **old},
                  new={"id": source.id, **_source_event_value(source)})
    return source


def remove_source(session: Session, user: User, claim_id: int, source_id: int) -> None:
    """Delete a source, keeping its content in the history."""
    claim = get_claim(session, claim_id)
    _require_edit(session, claim, user)
    source = _get_source(session, claim, source_id)
    old = {"id": source.id, **_source_event_value(source)}
    session.delete(source)
    session.flush()
    events.record(session, "remove_source", actor=user, article_id=claim.article_id,
                  claim_id=claim.id, old=old)


def add_note(session: Session, user: User, claim_id: int, body: str) -> Note:
    """Add a Markdown note to the claim's thread."""
    claim = get_claim(session, claim_id)
    if not review.role_at_least(user.role, review.REVIEWER) or not user.active:
        raise Forbidden("Your role can read notes but not write them.")
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid("The note is empty.", field="body")
    params.validated(NoteCreate, {"body": body})
    note = Note(claim_id=claim.id, author_id=user.id, body=body)
    session.add(note)
    session.flush()
    events.record(session, "note", actor=user, article_id=claim.article_id, claim_id=claim.id,
                  new={"id": note.id, "body": body})
    return note


def transition(
    session: Session,
    user: User,
    claim_id: int,
    action: str,
    *,
    comment: str | None = None,
    assignee_id: int | None = None,
    version=None,
) -> Claim:
    """Apply a workflow action as review.py allows it, and record it."""
    claim = get_claim(session, claim_id)
    if version not in (None, ""):
        expected = _version(version)
        if expected != claim.version:
            raise Conflict("The claim changed since you loaded it; look again before you act.",
                           claim)
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.active:
            raise Invalid("Assign the claim to an active team member.")
        if not review.role_at_least(assignee.role, review.REVIEWER):
            raise Invalid("A viewer cannot be assigned claims.")
    try:
        step = review.check(facts(session, claim), actor_of(user), action,
                            comment=(comment or "").strip() or None, assignee_id=assignee_id)
    except review.Forbidden as exc:
        raise Forbidden(exc.message) from None
    except review.InvalidTransition as exc:
        raise Conflict(exc.message, claim) from None
    values = {"state": step.to_state, "assignee_id": step.assignee_id,
              "submitted_by_id": step.submitted_by_id}
    now = utcnow()
    if action == review.SUBMIT:
        values["submitted_at"] = now
    if step.records_approval:
        values.update(approved_by_id=user.id, approved_at=now)
    if step.clears_approval:
        values.update(approved_by_id=None, approved_at=None)
    old = {"state": claim.state, "assignee_id": claim.assignee_id}
    _bump(session, claim, claim.version, values)
    events.record(session, action, actor=user, article_id=claim.article_id, claim_id=claim.id,
                  old=old, new={"state": claim.state, "assignee_id": claim.assignee_id},
                  comment=step.comment or "")
    webhooks.claim_event(session, action, claim)  # issue 21: claim.approved / .reopened
    return claim


def create_claim(session: Session, user: User, article_id: int, start, end,
                 statement: str = "") -> Claim:
    """Make a person's claim from a span of the article's body."""
    if not review.role_at_least(user.role, review.REVIEWER) or not user.active:
        raise Forbidden("Your role cannot add claims.")
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("No such article.")
    try:
        start, end = int(start), int(end)
    except (TypeError, ValueError):
        raise Invalid("Select some of the article's text first.") from None
    body = article.body
    if not 0 <= start < end <= len(body):
        raise Invalid("The selection is outside the article's text.")
    # The span starts and ends on text, whatever white space the selection took in.
    start, end = extract.trim_span(body, start, end)
    if end - start < 3:
        raise Invalid("Select at least a few words to make a claim.")
    quote = body[start:end]
    claim = Claim(
        article_id=article.id, start=start, end=end, quote=quote,
        prefix=body[max(0, start - CONTEXT):start], suffix=body[end:end + CONTEXT],
        statement=_statement_from(statement, quote), score=0.0,
        reasons=["added by a person"], origin="person", state=review.OPEN,
        # Issue 20: who made it, suggested by the import's attribution step (editable).
        claimant=_suggested_claimant(article, start, end),
    )
    session.add(claim)
    session.flush()
    events.record(session, "create", actor=user, article_id=article.id, claim_id=claim.id,
                  new={"start": start, "end": end, "quote": quote}, new_claim=True)
    return claim

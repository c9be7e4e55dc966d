"""The verdict scale: labels, colours and the ClaimReview mapping each verdict carries.

Every change records a ``verdict_*`` Event with the old and new values. A verdict that a
claim or a blind review uses cannot be deleted: the history would point at nothing.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from annotator.models import BlindReview, Claim, User, Verdict
from annotator.services import events, params
from annotator.services.errors import Invalid, NotFound

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# The fields an admin may change; the key is fixed once claims may point at it.
EDITABLE = ("label", "colour", "alternate_name", "rating_value", "needs_source", "position")
_TRUE = {"1", "true", "on", "yes"}


def list_verdicts(session: Session) -> list[Verdict]:
    """Return the scale in display order."""
    return list(session.exec(select(Verdict).order_by(Verdict.position, Verdict.key)).all())


def get_verdict(session: Session, key: str) -> Verdict:
    """Return one verdict by key."""
    verdict = session.get(Verdict, key)
    if verdict is None:
        raise NotFound(f"No verdict with the key {key!r}.")
    return verdict


def usage(session: Session) -> dict[str, int]:
    """Count, per verdict key, the claims and blind reviews that use it."""
    counts: dict[str, int] = {}
    for model in (Claim, BlindReview):
        rows = session.exec(
            select(model.verdict, func.count()).where(model.verdict.is_not(None))
            .group_by(model.verdict)
        ).all()
        for key, n in rows:
            counts[key] = counts.get(key, 0) + n
    return counts


def _clean(field: str, value: Any) -> Any:
    """Validate one field's value, given as a form string or as a Python value."""
    if field == "label":
        label = " ".join(str(value or "").split())
        if not label:
            raise Invalid("A verdict needs a label.")
        if len(label) > 64:
            raise Invalid("A label has at most 64 characters.")
        return label
    if field == "colour":
        colour = str(value or "").strip()
        if not COLOUR_RE.fullmatch(colour):
            raise Invalid(f"The colour must look like #1a7f37 (got {colour!r}).")
        return colour.lower()
    if field == "alternate_name":
        name = " ".join(str(value or "").split())
        if len(name) > 64:
            raise Invalid("The ClaimReview name has at most 64 characters.")
        return name
    if field == "rating_value":
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return params.to_int(value, "rating_value", low=1, high=1000)
        except Invalid:
            raise Invalid("The rating value is a whole number of 1 or more (at most 1,000), "
                          "or empty.",
                          field="rating_value") from None
    if field == "needs_source":
        if isinstance(value, bool):
            return value
        return str(value or "").strip().lower() in _TRUE
    if field == "position":
        if value is None or (isinstance(value, str) and not value.strip()):
            return 0
        return params.to_int(value, "position", low=-10_000, high=10_000)
    raise Invalid(f"Unknown verdict field {field!r}.")


def _facts(verdict: Verdict) -> dict:
    return {"key": verdict.key, **{f: getattr(verdict, f) for f in EDITABLE}}


def create_verdict(session: Session, actor: User | None, key: str,
                   fields: dict[str, Any]) -> Verdict:
    """Add a verdict to the scale; the key must be new and look like ``mostly_true``."""
    key = (key or "").strip()
    if not KEY_RE.fullmatch(key):
        raise Invalid("A verdict key has 2 to 32 lowercase letters, digits or underscores, "
                      "and starts with a letter (like mostly_true).")
    if session.get(Verdict, key) is not None:
        raise Invalid(f"The verdict key {key!r} exists already.")
    values = {f: _clean(f, fields[f]) for f in EDITABLE if f in fields}
    if "label" not in values:
        raise Invalid("A verdict needs a label.")
    if "position" not in values:
        last = session.exec(select(func.max(Verdict.position))).one()
        values["position"] = (last if last is not None else -1) + 1
    verdict = Verdict(key=key, **values)
    session.add(verdict)
    session.flush()
    events.record(session, "verdict_create", actor=actor, new=_facts(verdict))
    return verdict


def update_verdict(session: Session, actor: User | None, key: str,
                   changes: dict[str, Any]) -> Verdict:
    """Change a verdict's label, colour, ClaimReview mapping, source rule or position."""
    verdict = get_verdict(session, key)
    values = {f: _clean(f, changes[f]) for f in EDITABLE if f in changes}
    old = {f: getattr(verdict, f) for f, v in values.items() if getattr(verdict, f) != v}
    if not old:
        return verdict
    for field in old:
        setattr(verdict, field, values[field])
    session.add(verdict)
    events.record(session, "verdict_edit", actor=actor, old={"key": key, **old},
                  new={"key": key, **{f: values[f] for f in old}})
    return verdict


def delete_verdict(session: Session, actor: User | None, key: str) -> None:
    """Remove a verdict nobody uses; one in use stays, with the count in the error."""
    verdict = get_verdict(session, key)
    claims = session.exec(select(func.count()).select_from(Claim)
                          .where(Claim.verdict == key)).one()
    blind = session.exec(select(func.count()).select_from(BlindReview)
                         .where(BlindReview.verdict == key)).one()
    if claims or blind:
        parts = [f"{claims} claim{'s' if claims != 1 else ''}"] if claims else []
        if blind:
            parts.append(f"{blind} blind review{'s' if blind != 1 else ''}")
        raise Invalid(f"The verdict {verdict.label!r} is in use by {' and '.join(parts)}; "
                      "it cannot be removed. Change its label instead.")
    facts = _facts(verdict)
    session.delete(verdict)
    session.flush()
    events.record(session, "verdict_delete", actor=actor, old=facts)

"""Desk-wide settings, kept in the database so every app server reads the same value."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from annotator.extract.score import PROPOSE_THRESHOLD as DEFAULT_THRESHOLD
from annotator.models import Setting
from annotator.services.errors import Invalid

BLIND_REVIEW_DEFAULT = "blind_review_default"
SCORER_WEIGHTS = "scorer_weights"  # the desk's retrained check-worthiness scorer
# The calibrated probability a sentence needs to be proposed (within the proposal budget).
PROPOSE_THRESHOLD = "propose_threshold"


def get(session: Session, key: str, default: Any = None) -> Any:
    """Return a desk setting's value, or default when it was never set."""
    row = session.exec(select(Setting).where(Setting.key == key)).first()
    return default if row is None else row.value


def put(session: Session, key: str, value: Any) -> Any:
    """Set a desk setting; return its previous value."""
    row = session.exec(select(Setting).where(Setting.key == key)).first()
    old = None if row is None else row.value
    if row is None:
        row = Setting(key=key)
    row.value = value
    session.add(row)
    return old


def propose_threshold(session: Session) -> float:
    """Return the desk's proposal threshold (the shipped default when never set)."""
    value = get(session, PROPOSE_THRESHOLD)
    return DEFAULT_THRESHOLD if value is None else float(value)


def set_propose_threshold(session: Session, value: Any) -> float:
    """Set the desk's proposal threshold: a number strictly between 0 and 1, with at most
    three decimals (issue 19). Anything else is refused with the reason, never rounded:
    0.99999 would become 1 and propose nothing, 0.00001 would become 0 and propose
    everything.
    """
    text = str(value if value is not None else "").strip()
    if not _DECIMAL.fullmatch(text):
        raise Invalid("The threshold must be a number between 0 and 1, such as 0.5.",
                      field="threshold")
    number = Decimal(text)
    if not Decimal(0) < number < Decimal(1):
        raise Invalid("The threshold must be between 0 and 1 (exclusive), such as 0.5.",
                      field="threshold")
    if -number.normalize().as_tuple().exponent > 3:
        raise Invalid("The threshold has at most three decimals, such as 0.125; it is "
                      "never rounded.", field="threshold")
    put(session, PROPOSE_THRESHOLD, float(number))
    return float(number)


# A plain decimal number: no exponent, sign, "nan" or "inf" (which float() would take).
_DECIMAL = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,20})?|\.[0-9]{1,20}")

"""The proposal threshold is taken exactly or refused with the reason, never rounded."""

from __future__ import annotations

import pytest

from annotator.db import session_scope
from annotator.extract.score import PROPOSE_THRESHOLD
from annotator.services import settings
from annotator.services.errors import Invalid


@pytest.mark.parametrize("value, reason", [
    ("0.99999", "at most three decimals"), ("0.00001", "at most three decimals"),
    ("0.1234", "at most three decimals"), ("0", "between 0 and 1"), ("1", "between 0 and 1"),
    ("1.000", "between 0 and 1"), ("0.000", "between 0 and 1"), ("nan", "a number"),
    ("inf", "a number"), ("1e-1", "a number"), ("-0.5", "a number"), ("", "a number"),
    (" ", "a number"), ("0.5.5", "a number"), ("٠.٥", "a number"), (None, "a number")])
def test_a_threshold_out_of_range_or_too_precise_is_refused_with_the_reason(
        engine, value, reason):
    with session_scope(engine) as session:
        with pytest.raises(Invalid, match=reason):
            settings.set_propose_threshold(session, value)
        assert settings.propose_threshold(session) == pytest.approx(PROPOSE_THRESHOLD)


@pytest.mark.parametrize("value, stored", [("0.5", 0.5), ("0.125", 0.125), (".75", 0.75),
                                           ("0.001", 0.001), ("0.999", 0.999),
                                           ("0.9990", 0.999), (0.25, 0.25)])
def test_a_threshold_with_three_decimals_or_fewer_is_kept_exactly(engine, value, stored):
    with session_scope(engine) as session:
        assert settings.set_propose_threshold(session, value) == stored
    with session_scope(engine) as session:
        assert settings.propose_threshold(session) == stored


def test_the_admin_page_refuses_a_rounded_threshold_with_the_reason(as_user, engine):
    admin = as_user("admin")
    page = admin.post("/admin/scorer/threshold", data={"threshold": "0.99999"},
                      follow_redirects=True).get_data(as_text=True)
    assert "at most three decimals" in page
    with session_scope(engine) as session:
        assert settings.propose_threshold(session) == pytest.approx(PROPOSE_THRESHOLD)

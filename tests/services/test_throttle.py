"""Login throttling counts failures per account and per address, within a sliding window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import LoginAttempt, utcnow
from annotator.services import throttle

LIMITS = throttle.Limits(per_account=3, per_address=5, window=timedelta(minutes=15))


def _fail(engine, username, address, times=1, at=None):
    for _ in range(times):
        with session_scope(engine) as session:
            throttle.record_failure(session, username, address, LIMITS, now=at)


def _check(engine, username, address, now=None):
    with session_scope(engine, write=False) as session:
        throttle.check(session, username, address, LIMITS, now=now)


def test_it_lets_an_account_fail_up_to_its_limit(engine):
    _fail(engine, "ed", "10.0.0.1", times=2)
    _check(engine, "ed", "10.0.0.1")


def test_it_refuses_an_account_at_its_limit_from_any_address(engine):
    _fail(engine, "ed", "10.0.0.1", times=3)
    with pytest.raises(throttle.Throttled) as caught:
        _check(engine, "ed", "10.9.9.9")
    assert caught.value.status == 429
    assert "this account" in caught.value.message
    assert 1 <= caught.value.detail <= 15 * 60 + 1


def test_it_refuses_an_address_at_its_limit_whatever_the_account(engine):
    for i in range(5):
        _fail(engine, f"user{i}", "10.0.0.2")
    with pytest.raises(throttle.Throttled) as caught:
        _check(engine, "someone-new", "10.0.0.2")
    assert "your network" in caught.value.message
    _check(engine, "someone-new", "10.0.0.3")


def test_failures_outside_the_window_do_not_count(engine):
    _fail(engine, "ed", "10.0.0.1", times=3, at=utcnow() - timedelta(minutes=16))
    _check(engine, "ed", "10.0.0.1")


def test_the_lock_lifts_when_the_oldest_failure_leaves_the_window(engine):
    start = utcnow() - timedelta(minutes=10)
    _fail(engine, "ed", "10.0.0.1", times=3, at=start)
    with pytest.raises(throttle.Throttled) as caught:
        _check(engine, "ed", "10.0.0.1")
    assert 4 * 60 <= caught.value.detail <= 5 * 60 + 2
    _check(engine, "ed", "10.0.0.1", now=start + timedelta(minutes=15, seconds=1))


def test_a_success_clears_the_accounts_failures_but_not_the_addresss(engine):
    _fail(engine, "ed", "10.0.0.1", times=2)
    _fail(engine, "other", "10.0.0.1", times=2)
    with session_scope(engine) as session:
        throttle.clear(session, "ed")
    with session_scope(engine, write=False) as session:
        left = session.exec(select(LoginAttempt)).all()
    assert {a.username for a in left} == {"other"}
    assert len(left) == 2


def test_recording_prunes_expired_failures(engine):
    _fail(engine, "ed", "10.0.0.1", times=2, at=utcnow() - timedelta(hours=2))
    _fail(engine, "ed", "10.0.0.1")
    with session_scope(engine, write=False) as session:
        assert len(session.exec(select(LoginAttempt)).all()) == 1


def test_the_username_is_compared_as_typed_without_surrounding_space(engine):
    _fail(engine, " ed ", "10.0.0.1", times=3)
    with pytest.raises(throttle.Throttled):
        _check(engine, "ed", "10.0.0.4")


def test_limits_come_from_the_settings():
    limits = throttle.Limits.from_config({"LOGIN_MAX_PER_ACCOUNT": "7",
                                          "LOGIN_MAX_PER_ADDRESS": 30,
                                          "LOGIN_WINDOW_MINUTES": 5})
    assert limits == throttle.Limits(7, 30, timedelta(minutes=5))

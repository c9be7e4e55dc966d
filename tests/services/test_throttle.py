"""Login throttling slows a guesser per (account, address) and never locks the owner out."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import func, select

from annotator.db import session_scope
from annotator.models import LoginAttempt, utcnow
from annotator.services import throttle

LIMITS = throttle.Limits(free=3, max_delay=timedelta(minutes=15), account_lock=6,
                         per_address=10, window=timedelta(hours=1))


def _begin(engine, username, address, at=None) -> int | None:
    """Count an attempt whose password is being checked (None: wait for your turn)."""
    with session_scope(engine) as session:
        return throttle.begin(session, username, address, LIMITS, now=at)


def _try(engine, username, address, at=None) -> int:
    """One wrong password: counted, checked, and failed."""
    with session_scope(engine) as session:
        attempt = throttle.begin(session, username, address, LIMITS, now=at)
        assert attempt is not None
        throttle.fail(session, attempt, now=at)
        return attempt


def _wait(engine, username, address, at=None) -> int:
    with pytest.raises(throttle.Throttled) as caught:
        _try(engine, username, address, at)
    assert caught.value.status == 429
    return caught.value.detail


def test_the_first_failures_are_free_then_delays_double(engine):
    now = utcnow()
    for i in range(3):
        _try(engine, "ed", "10.0.0.1", now + timedelta(seconds=i))
    last = now + timedelta(seconds=2)
    assert _wait(engine, "ed", "10.0.0.1", last) == 2
    _try(engine, "ed", "10.0.0.1", last + timedelta(seconds=2))  # waited: one more try
    last += timedelta(seconds=2)
    assert _wait(engine, "ed", "10.0.0.1", last) == 4
    _try(engine, "ed", "10.0.0.1", last + timedelta(seconds=4))
    last += timedelta(seconds=4)
    assert _wait(engine, "ed", "10.0.0.1", last) == 8


def test_the_delay_has_a_ceiling(engine):
    limits = throttle.Limits(max_delay=timedelta(minutes=15))
    assert limits.delay(2) == timedelta(0)
    assert limits.delay(3) == timedelta(seconds=2)
    assert limits.delay(40) == timedelta(minutes=15)


def test_a_guesser_elsewhere_never_slows_the_owner(engine):
    now = utcnow()
    for i in range(5):
        _try(engine, "ed", "203.0.113.9", now + timedelta(seconds=60 * i))
    _try(engine, "ed", "10.0.0.1", now + timedelta(minutes=5))  # the owner, at the office


def test_the_account_locks_only_at_the_threshold_and_not_for_a_clean_address(engine):
    now = utcnow()
    for i in range(6):  # six failures from six addresses: the lock threshold
        _try(engine, "ed", f"203.0.113.{i}", now)
    # The right password from an address that failed: refused while the account is locked.
    attempt = _begin(engine, "ed", "203.0.113.1", now)
    with pytest.raises(throttle.Throttled, match="locked"), session_scope(engine) as s:
        throttle.succeed(s, attempt, "ed", "203.0.113.1", LIMITS, now=now)
    # The right password from an address that has not failed: let in, and its try forgotten.
    attempt = _begin(engine, "ed", "10.0.0.1", now)
    with session_scope(engine) as s:
        throttle.succeed(s, attempt, "ed", "10.0.0.1", LIMITS, now=now)
        assert s.exec(select(func.count()).where(
            LoginAttempt.address == "10.0.0.1")).one() == 0


def test_an_address_spraying_many_accounts_is_capped(engine):
    now = utcnow()
    for i in range(10):
        _try(engine, f"user{i}", "10.0.0.2", now)
    _wait(engine, "someone-new", "10.0.0.2", now)
    _try(engine, "someone-new", "10.0.0.3", now)


def test_usernames_are_counted_whatever_their_case(engine):
    now = utcnow()
    for name in ("Ed", "ED", "ed"):
        _try(engine, name, "10.0.0.1", now)
    _wait(engine, "eD", "10.0.0.1", now)


@pytest.mark.parametrize("spelling", ["ｒｅｖ１", "ＲＥＶ1", " Rev1 ", "rev\N{DIGIT ONE}",
                                      "\N{MATHEMATICAL BOLD SMALL R}ev1"])
def test_every_spelling_of_a_name_shares_one_bucket(engine, spelling):
    now = utcnow()
    for _ in range(LIMITS.free):
        _try(engine, "rev1", "10.0.0.1", now)
    assert throttle.key(spelling) == "rev1"
    assert _wait(engine, spelling, "10.0.0.1", now) >= 1


def test_several_correct_sign_ins_at_once_are_not_failures(engine):
    now = utcnow()
    running = [_begin(engine, "ed", "10.0.0.1", now) for _ in range(LIMITS.free)]
    assert None not in running
    # A fourth check waits for its turn instead of being refused as a failure ...
    assert _begin(engine, "ed", "10.0.0.1", now) is None
    for attempt in running:
        with session_scope(engine) as s:
            throttle.succeed(s, attempt, "ed", "10.0.0.1", LIMITS, now=now)
    # ... and nothing was counted against the account: more sign-ins go straight in.
    for _ in range(LIMITS.free + 2):
        attempt = _begin(engine, "ed", "10.0.0.1", now)
        with session_scope(engine) as s:
            throttle.succeed(s, attempt, "ed", "10.0.0.1", LIMITS, now=now)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(LoginAttempt)).one() == 0


def test_parallel_checks_never_exceed_the_tries_left(engine):
    started = []

    def guess():
        attempt = _begin(engine, "ed", "10.0.0.9")
        if attempt is not None:
            started.append(attempt)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(started) == LIMITS.free


def _free(engine, username, address) -> bool:
    with session_scope(engine, write=False) as session:
        return throttle.turn_free(session, username, address, LIMITS)


def test_a_waiter_sees_its_turn_come_without_the_write_lock(engine):
    assert _free(engine, "ed", "10.0.0.7")
    running = [_begin(engine, "ed", "10.0.0.7") for _ in range(LIMITS.free)]
    # As many checks run as there are tries left: the next must wait, and begin agrees.
    assert not _free(engine, "ed", "10.0.0.7")
    assert _begin(engine, "ed", "10.0.0.7") is None
    assert _free(engine, "ed", "10.0.1.7")  # another address has its own turns
    with session_scope(engine) as session:
        throttle.fail(session, running[0])
    # One check has answered: the waiter's turn has come (begin then says what follows:
    # here one failure leaves two tries, both still running, so it waits again).
    assert _free(engine, "ed", "10.0.0.7") == (_begin(engine, "ed", "10.0.0.7") is not None)
    for attempt in running[1:]:
        with session_scope(engine) as session:
            throttle.fail(session, attempt)
    assert _free(engine, "ed", "10.0.0.7")  # none runs: begin decides (here: wait 2 s)
    assert _wait(engine, "ed", "10.0.0.7") >= 1


def _queue(engine, username, address) -> int:
    with session_scope(engine) as session:
        return throttle.queue(session, username, address, LIMITS)


def _refused_on_a_read(engine, username, address) -> str | None:
    with session_scope(engine, write=False) as session:
        try:
            throttle.refuse_if_throttled(session, username, address, LIMITS)
        except throttle.Throttled as exc:
            return exc.message
    return None


def test_once_every_turn_runs_and_every_place_waits_a_guess_is_refused_on_a_read(engine):
    """The flood's later guesses are answered from a read, before the account's lock."""
    for _ in range(LIMITS.free):
        assert _begin(engine, "ed", "10.0.0.4") is not None
    for _ in range(LIMITS.free):
        assert _refused_on_a_read(engine, "ed", "10.0.0.4") is None  # a place is left
        _queue(engine, "ed", "10.0.0.4")
    assert _refused_on_a_read(engine, "ed", "10.0.0.4") == throttle.BUSY
    # What queue would answer with the lock held is the same, and begin gives it to a
    # newcomer at once; one that holds a place is told to keep waiting.
    with pytest.raises(throttle.Throttled) as caught:
        _queue(engine, "ed", "10.0.0.4")
    assert caught.value.message == throttle.BUSY
    with pytest.raises(throttle.Throttled) as caught:
        _begin(engine, "ed", "10.0.0.4")
    assert caught.value.message == throttle.BUSY
    with session_scope(engine) as session:
        assert throttle.begin(session, "ed", "10.0.0.4", LIMITS, queued=True) is None
    # Other addresses and accounts are not concerned.
    assert _refused_on_a_read(engine, "ed", "10.0.0.5") is None
    assert _refused_on_a_read(engine, "al", "10.0.0.4") is None


def test_a_check_that_never_answered_counts_as_a_failure(engine):
    long_ago = utcnow() - throttle.STALE - timedelta(seconds=5)
    for _ in range(LIMITS.free):
        _begin(engine, "ed", "10.0.0.1", long_ago)
    later = long_ago + throttle.STALE + timedelta(seconds=6)
    # The three count as failures now: the tries left are used up, so one check at a time.
    assert _begin(engine, "ed", "10.0.0.1", later) is not None
    assert _begin(engine, "ed", "10.0.0.1", later) is None


def test_parallel_guesses_are_counted_one_by_one(engine):
    let_in, refused = [], []

    def guess():
        try:
            _try(engine, "ed", "10.0.0.9")
            let_in.append(1)
        except throttle.Throttled:
            refused.append(1)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(let_in) == LIMITS.free and len(refused) == 20 - LIMITS.free


def test_it_reads_its_limits_from_the_settings():
    limits = throttle.Limits.from_config({"LOGIN_FREE_TRIES": "4", "LOGIN_ACCOUNT_LOCK": 70,
                                          "LOGIN_MAX_PER_ADDRESS": 300,
                                          "LOGIN_MAX_DELAY_SECONDS": 60,
                                          "LOGIN_WINDOW_MINUTES": 30})
    assert limits == throttle.Limits(free=4, max_delay=timedelta(seconds=60), account_lock=70,
                                     per_address=300, window=timedelta(minutes=30))
    assert throttle.Limits.from_config({}) == throttle.Limits()
    assert throttle.Limits().account_lock == 50


def _queue(engine, username, address, at=None) -> int:
    with session_scope(engine) as session:
        return throttle.queue(session, username, address, LIMITS, now=at)


def test_as_many_may_wait_as_may_run_and_the_rest_are_refused_at_once(engine):
    now = utcnow()
    running = [_begin(engine, "ed", "10.0.0.1", now) for _ in range(LIMITS.free)]
    assert _begin(engine, "ed", "10.0.0.1", now) is None
    places = [_queue(engine, "ed", "10.0.0.1", now) for _ in range(LIMITS.free)]
    with pytest.raises(throttle.Throttled, match="being checked") as caught:
        _queue(engine, "ed", "10.0.0.1", now)
    assert caught.value.detail == 1
    _queue(engine, "ed", "10.0.0.2", now)  # another address has its own queue
    with session_scope(engine) as session:
        throttle.leave(session, places.pop())
    places.append(_queue(engine, "ed", "10.0.0.1", now))  # a place was given back
    # Places are neither running checks nor failures: one right password forgets nobody's
    # place, and the failures that follow are counted from the running checks only.
    with session_scope(engine) as session:
        throttle.succeed(session, running.pop(), "ed", "10.0.0.1", LIMITS, now=now)
        assert session.exec(select(func.count()).where(
            LoginAttempt.waiting.is_(True), LoginAttempt.address == "10.0.0.1")).one() == 3
    with pytest.raises(throttle.Throttled, match="being checked"):
        _queue(engine, "ed", "10.0.0.1", now)
    for place in places:
        with session_scope(engine) as session:
            throttle.leave(session, place)
    _try(engine, "ed", "10.0.0.1", now)
    _try(engine, "ed", "10.0.0.1", now)
    _try(engine, "ed", "10.0.0.1", now)
    assert _wait(engine, "ed", "10.0.0.1", now) == 2  # three failures, not six


def test_a_place_left_by_a_dead_worker_expires(engine):
    long_ago = utcnow() - throttle.WAIT_STALE - timedelta(seconds=1)
    for _ in range(LIMITS.free):
        _queue(engine, "ed", "10.0.0.1", long_ago)
    _queue(engine, "ed", "10.0.0.1")  # the old places no longer count
    assert _begin(engine, "ed", "10.0.0.1") is not None  # nor as failures


# What one server process remembers of the refusals it gave (issue 19)

def _refusals(limit: int = 10_000):
    now = [50.0]
    return throttle.Refusals(lambda: now[0], limit), now


def test_a_refusal_is_remembered_for_a_second_at_most_and_never_past_its_wait():
    memory, now = _refusals()
    key = throttle.Refusals.key("ＲＥＶ１", "10.0.0.1")
    assert key == throttle.Refusals.key("rev1", "10.0.0.1")  # every spelling, one bucket
    memory.remember(key, throttle.Throttled("Wait 16 seconds and try again.", 16))
    now[0] += 0.4
    recalled = memory.recall(key)
    assert recalled.message == "Wait 16 seconds and try again." and recalled.detail == 16
    assert memory.recall(throttle.Refusals.key("rev1", "10.0.0.2")) is None  # another address
    now[0] += throttle.REMEMBER_SECONDS
    assert memory.recall(key) is None  # the database is asked again
    memory.remember(key, throttle.Throttled(throttle.BUSY, 1))
    now[0] += 0.5
    assert memory.recall(key).detail == 1  # what is left of the wait, at least a second
    memory.remember(key, throttle.Throttled("Not a wait.", 0))
    assert memory.recall(key).message == throttle.BUSY  # a refusal with no wait is not kept


def test_a_refusal_given_from_memory_does_not_renew_it():
    memory, now = _refusals()
    key = throttle.Refusals.key("rev1", "10.0.0.1")
    memory.remember(key, throttle.Throttled(throttle.BUSY, 5))
    for _ in range(10):
        now[0] += throttle.REMEMBER_SECONDS / 4
        again = memory.recall(key)
        if again is None:
            break
        memory.remember(key, again)  # as the sign-in path does with every refusal it raises
    assert again is None and now[0] <= 50.0 + throttle.REMEMBER_SECONDS + 0.3


def test_the_memory_is_bounded_and_forgets_a_key_that_signed_in():
    memory, now = _refusals(limit=3)
    keys = [throttle.Refusals.key(f"user{i}", "10.0.0.1") for i in range(5)]
    for key in keys:
        memory.remember(key, throttle.Throttled(throttle.BUSY, 1))
    assert [memory.recall(k) is not None for k in keys] == [False, False, True, True, True]
    memory.forget(keys[-1])
    assert memory.recall(keys[-1]) is None

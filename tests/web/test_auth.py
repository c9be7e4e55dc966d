"""Sign-in and every other password check share one throttle bucket per account (issue 19)."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import PASSWORD, login


def _login(client, username, password=PASSWORD, address="10.1.1.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("spelling", ["ｅｄｉｔｏｒ", "EDITOR", " Editor ", "ＥＤＩＴＯＲ"])
def test_while_throttled_every_spelling_is_refused_even_with_the_right_password(
        client, people, spelling):
    for _ in range(3):
        assert _login(client, "editor", "wrong-password").status_code == 401
    response = _login(client, spelling)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in response.get_data(as_text=True)


def test_failures_under_another_spelling_count_for_the_account(client, people):
    for spelling in ("ｅｄｉｔｏｒ", "EDITOR", "Editor"):
        assert _login(client, spelling, "wrong-password").status_code == 401
    assert _login(client, "editor").status_code == 429


def test_several_correct_sign_ins_at_once_all_get_in(app, people):
    answers: list[int] = []

    def sign_in():
        answers.append(_login(app.test_client(), "reviewer", address="10.4.4.4").status_code)

    threads = [threading.Thread(target=sign_in) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == [303] * 6


def test_signing_in_renews_a_hash_made_with_older_settings_and_keeps_other_sessions(
        app, engine, people):
    from argon2 import PasswordHasher
    from sqlmodel import select

    from annotator.db import session_scope
    from annotator.models import Event, User
    from annotator.services import users

    older = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=2)
    with session_scope(engine) as s:
        s.get(User, people["reviewer"]).password_hash = older.hash(PASSWORD)
    elsewhere = app.test_client()
    login(elsewhere, "reviewer")  # signs in, and renews the hash
    assert _login(app.test_client(), "reviewer").status_code == 303
    with session_scope(engine, write=False) as s:
        stored = s.get(User, people["reviewer"]).password_hash
        renewals = s.exec(select(Event).where(Event.action == "user_password_rehash")).all()
    assert not users._hasher.check_needs_rehash(stored)
    assert [e.actor_id for e in renewals] == [people["reviewer"]]  # once, not at each sign-in
    # The same password: the first session is still signed in.
    assert elsewhere.get("/account").status_code == 200


def test_the_password_change_form_is_throttled_like_sign_in(app, people):
    client = app.test_client()
    login(client, "viewer")

    def change(current):
        return client.post("/account/password",
                           data={"current": current, "password": "a-much-newer-secret-9",
                                 "confirm": "a-much-newer-secret-9"},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})

    for _ in range(3):
        response = change("not-my-password")
        assert response.status_code == 400
        assert "current password is wrong" in response.get_data(as_text=True)
    response = change(PASSWORD)  # the right one, while throttled
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    # The sign-in form shares the bucket: the same account is throttled there too.
    assert _login(app.test_client(), "viewer", address="127.0.0.1").status_code == 429


def test_a_refused_guess_is_answered_from_memory_then_from_the_requests_own_reads(
        app, people, engine):
    """Twenty guesses at once are mostly refused (issue 19). For a second after the database
    refused one, this server process answers the next ones from memory: no read of the
    throttle at all. After that a refusal reads the throttle in the request's own
    transaction, on its one connection, and the page it answers with reads on there, its
    user still loaded, not read again."""
    from sqlalchemy import event

    from annotator.services import throttle
    from annotator.web import auth

    now = [1000.0]
    app.extensions[auth._MEMORY] = (throttle.Refusals(lambda: now[0]), auth._Turns())
    client = app.test_client()
    login(client, "viewer")

    def change():
        return client.post("/account/password",
                           data={"current": "not-my-password", "password": "a-newer-secret-9",
                                 "confirm": "a-newer-secret-9"},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})

    assert [change().status_code for _ in range(4)] == [400, 400, 400, 429]

    def statements_of_a_refusal() -> list[str]:
        seen: list[str] = []

        def remember(conn, cursor, statement, parameters, context, executemany):
            seen.append(" ".join(statement.replace('"', "").split()))

        def checkout(*_):
            seen.append("CHECKOUT")

        event.listen(engine, "before_cursor_execute", remember)
        event.listen(engine.pool, "checkout", checkout)
        try:
            answer = change()
        finally:
            event.remove(engine, "before_cursor_execute", remember)
            event.remove(engine.pool, "checkout", checkout)
        assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1
        assert "Too many failed sign-ins" in answer.get_data(as_text=True)
        assert seen.count("CHECKOUT") == 1
        assert not [q for q in seen if "FROM user WHERE" in q and "JOIN" not in q]  # no reload
        assert not [q for q in seen if not q.startswith("SELECT") and q != "CHECKOUT"]
        return [q for q in seen if "FROM loginattempt" in q]

    now[0] += throttle.REMEMBER_SECONDS - 0.01
    assert statements_of_a_refusal() == []  # from memory
    now[0] += 0.02
    assert statements_of_a_refusal()  # the memory has let go: the database decides again


def test_a_right_current_password_changes_it(app, people):
    client = app.test_client()
    login(client, "viewer")
    response = client.post("/account/password",
                           data={"current": PASSWORD, "password": "a-much-newer-secret-9",
                                 "confirm": "a-much-newer-secret-9"})
    assert response.status_code == 303
    assert _login(app.test_client(), "viewer", "a-much-newer-secret-9").status_code == 303


def test_parallel_guesses_past_the_queue_are_refused_at_once(app, people, monkeypatch):
    """Twenty wrong passwords at once: as many checks run as there are tries left, as many
    wait their turn, and the rest are answered at once, while the checks are still running
    (each waiter holds a server thread that reviewers' saves need)."""
    from annotator.services import throttle
    from annotator.services import users as user_service

    release, checks = threading.Event(), []

    class HeldHasher:  # stands for Argon2 until the test lets it answer
        def verify(self, _stored, _password):
            checks.append(1)
            release.wait(60)
            return False

    monkeypatch.setattr(user_service, "_hasher", HeldHasher())
    # Waiters never give up during the test: only the queue's cap answers early.
    monkeypatch.setattr("annotator.web.auth.TURN_WAIT_SECONDS", 120)
    answers: list[tuple[int, str]] = []
    answered = threading.Condition()

    def guess():
        response = _login(app.test_client(), "editor", "wrong-password", "10.5.5.5")
        with answered:
            answers.append((response.status_code, response.get_data(as_text=True)))
            answered.notify_all()

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    queued = 2 * throttle.Limits().free  # three run, three wait
    with answered:
        assert answered.wait_for(lambda: len(answers) >= 20 - queued, timeout=30)
        early = list(answers)
    release.set()
    for t in threads:
        t.join(60)
    assert len(early) == 20 - queued
    assert all(code == 429 and "being checked" in body for code, body in early)
    assert len(checks) == throttle.Limits().free  # the waiters then found the tries used up
    assert sorted(code for code, _ in answers) == [401] * 3 + [429] * 17


def test_a_throttled_account_is_refused_without_queueing_for_a_lock(app, people):
    """Once an account is throttled, a guess is refused on a read: while another writer
    holds the lock that counting an attempt needs, the refusal still comes at once."""
    from annotator.db import engine_for, new_session
    from annotator.services import throttle

    client = app.test_client()
    for _ in range(3):
        assert _login(client, "editor", "wrong-password").status_code == 401
    engine = engine_for(app)
    holder = new_session(engine, write=True)
    answers: list[int] = []
    try:
        # Another writer holds what `begin` would wait for: SQLite's write lock (taken from
        # another thread, so it is a turn of its own), or PostgreSQL's lock on this account.
        def hold():
            throttle._serialise(holder, throttle.key("editor"))

        taker = threading.Thread(target=hold)
        taker.start()
        taker.join(10)
        guess = threading.Thread(target=lambda: answers.append(
            _login(app.test_client(), "editor", "another-guess").status_code))
        guess.start()
        guess.join(20)
        assert answers == [429]
    finally:
        holder.rollback()
        holder.close()


def test_a_guess_past_a_full_queue_is_refused_without_queueing_for_a_lock(app, people):
    """As many checks of the account run as it has tries, as many wait: the next guess is
    answered at once from a read, while another writer holds the lock counting needs."""
    from annotator.db import engine_for, new_session, session_scope
    from annotator.services import throttle

    engine = engine_for(app)
    limits = throttle.Limits()
    with session_scope(engine) as session:
        for _ in range(limits.free):
            assert throttle.begin(session, "editor", "10.1.1.1", limits) is not None
        for _ in range(limits.free):
            throttle.queue(session, "editor", "10.1.1.1", limits)
    holder = new_session(engine, write=True)
    answers: list[tuple[int, str]] = []
    try:
        taker = threading.Thread(
            target=lambda: throttle._serialise(holder, throttle.key("editor")))
        taker.start()
        taker.join(10)
        def guess_once():
            response = _login(app.test_client(), "editor", "a-guess")
            answers.append((response.status_code, response.get_data(as_text=True)))

        guess = threading.Thread(target=guess_once)
        guess.start()
        guess.join(20)
        assert len(answers) == 1
        assert answers[0][0] == 429 and "being checked" in answers[0][1]
    finally:
        holder.rollback()
        holder.close()


def test_twenty_guesses_at_once_at_a_throttled_account_read_the_throttle_once(
        app, people, engine):
    """Within one server process the guesses of one account from one address take their
    first count one at a time, and the refusal the database gave the first answers the
    rest (issue 19): one read of the throttle for twenty guesses, not twenty."""
    from sqlalchemy import event

    client = app.test_client()
    for _ in range(3):
        assert _login(client, "editor", "wrong-password", "10.6.6.6").status_code == 401
    reads: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        if "loginattempt" in statement:
            reads.append(statement)

    answers: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def guess():
        start.wait(30)
        code = _login(app.test_client(), "ＥＤＩＴＯＲ", "wrong-password", "10.6.6.6").status_code
        with lock:
            answers.append(code)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        threads = [threading.Thread(target=guess) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert answers == [429] * 20
    assert len(reads) == 1
    # Another address is not refused from this memory: its own failures are its own.
    assert _login(app.test_client(), "editor", "wrong-password", "10.6.6.7").status_code == 401

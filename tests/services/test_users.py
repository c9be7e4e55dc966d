"""Accounts: roles, deactivation, passwords, tokens, and the events each change leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import ApiToken, Event, User, utcnow
from annotator.services import users
from annotator.services.errors import Invalid, NotFound

PASSWORD = "correct-horse-battery"


@pytest.fixture
def db(engine, people):
    with session_scope(engine) as session:
        yield session


def _get(session, people, name) -> User:
    return session.get(User, people[name])


def _events(session, action: str) -> list[Event]:
    return list(session.exec(select(Event).where(Event.action == action)).all())


def test_it_records_who_created_a_user_without_the_password(db, people):
    admin = _get(db, people, "admin")
    user = users.create_user(db, "nadia", "reviewer", "long-enough-1", actor=admin)
    (event,) = _events(db, "user_create")
    assert event.actor_id == admin.id
    assert event.new == {"user_id": user.id, "user": "nadia", "role": "reviewer",
                         "display_name": "nadia"}
    assert "long-enough" not in str(event.new) and "argon" not in str(event.new)


def test_it_creates_users_quietly_without_an_actor(db):
    users.create_user(db, "setup", "admin", "long-enough-1")
    assert _events(db, "user_create") == []


def test_it_changes_a_role_and_records_old_and_new(db, people):
    admin, reviewer = _get(db, people, "admin"), _get(db, people, "reviewer")
    users.change_role(db, admin, reviewer, "editor")
    assert reviewer.role == "editor"
    (event,) = _events(db, "user_role")
    assert (event.old["role"], event.new["role"]) == ("reviewer", "editor")
    with pytest.raises(Invalid, match="Unknown role"):
        users.change_role(db, admin, reviewer, "boss")


def test_it_keeps_the_last_active_admin(db, people):
    admin = _get(db, people, "admin")
    with pytest.raises(Invalid, match="last active admin"):
        users.deactivate(db, admin, admin)
    with pytest.raises(Invalid, match="last active admin"):
        users.change_role(db, admin, admin, "editor")
    users.change_role(db, admin, _get(db, people, "editor"), "admin")
    users.deactivate(db, admin, admin)
    assert admin.active is False


def test_a_deactivated_user_cannot_sign_in_and_their_tokens_stop(db, people):
    admin, viewer = _get(db, people, "admin"), _get(db, people, "viewer")
    _, secret = users.create_token(db, viewer, "script")
    assert users.token_owner(db, users.token_for_secret(db, secret)) is viewer
    users.deactivate(db, admin, viewer)
    assert users.authenticate(db, "viewer", PASSWORD) is None
    assert users.token_owner(db, users.token_for_secret(db, secret)) is None
    assert [e.new["active"] for e in _events(db, "user_deactivate")] == [False]
    users.reactivate(db, admin, viewer)
    assert users.authenticate(db, "viewer", PASSWORD) is viewer
    assert users.token_owner(db, users.token_for_secret(db, secret)) is viewer


def test_deactivating_twice_records_one_event(db, people):
    admin, viewer = _get(db, people, "admin"), _get(db, people, "viewer")
    users.deactivate(db, admin, viewer)
    users.deactivate(db, admin, viewer)
    assert len(_events(db, "user_deactivate")) == 1


def test_an_admin_resets_a_password_without_the_old_one(db, people):
    admin, viewer = _get(db, people, "admin"), _get(db, people, "viewer")
    with pytest.raises(Invalid, match="at least 10"):
        users.reset_password(db, admin, viewer, "short")
    users.reset_password(db, admin, viewer, "a-new-secret-1")
    assert users.authenticate(db, "viewer", "a-new-secret-1") is viewer
    assert users.authenticate(db, "viewer", PASSWORD) is None
    (event,) = _events(db, "user_password_reset")
    assert "a-new-secret-1" not in str(event.new) and viewer.password_hash not in str(event.new)


def test_changing_your_own_password_needs_the_current_one(db, people):
    viewer = _get(db, people, "viewer")
    with pytest.raises(Invalid, match="current password is wrong"):
        users.change_own_password(db, viewer, "wrong-wrong", "brand-new-pass")
    with pytest.raises(Invalid, match="differ"):
        users.change_own_password(db, viewer, PASSWORD, "brand-new-pass", "brand-new-pas")
    with pytest.raises(Invalid, match="same"):
        users.change_own_password(db, viewer, PASSWORD, PASSWORD)
    users.change_own_password(db, viewer, PASSWORD, "brand-new-pass", "brand-new-pass")
    assert users.authenticate(db, "viewer", "brand-new-pass") is viewer


def test_it_updates_a_display_name(db, people):
    viewer = _get(db, people, "viewer")
    users.update_display_name(db, viewer, viewer, "  Vera   V ")
    assert viewer.display_name == "Vera V"
    users.update_display_name(db, viewer, viewer, "")
    assert viewer.display_name == "viewer"
    with pytest.raises(Invalid, match="120"):
        users.update_display_name(db, viewer, viewer, "x" * 121)
    assert len(_events(db, "user_name")) == 2


def test_it_lists_and_revokes_tokens(db, people):
    admin, editor = _get(db, people, "admin"), _get(db, people, "editor")
    token, secret = users.create_token(db, editor, "CMS", users.expiry_in_days(7), actor=admin)
    (created,) = _events(db, "token_create")
    assert created.new["name"] == "CMS" and secret not in str(created.new)
    assert token.token_hash not in str(created.new)
    assert [(t.name, u.username) for t, u in users.list_tokens(db)] == [("CMS", "editor")]
    assert users.list_tokens(db, admin) == []
    users.revoke_token(db, admin, token.id)
    assert token.revoked_at is not None
    assert users.token_status(token) == "revoked"
    assert users.token_owner(db, users.token_for_secret(db, secret)) is None
    (revoked,) = _events(db, "token_revoke")
    assert revoked.old["revoked_at"] is None and revoked.new["revoked_at"]


def test_someone_cannot_revoke_a_token_that_is_not_theirs(db, people):
    editor, viewer = _get(db, people, "editor"), _get(db, people, "viewer")
    token, _ = users.create_token(db, editor)
    with pytest.raises(NotFound):
        users.revoke_token(db, viewer, token.id, owner=viewer)
    with pytest.raises(NotFound):
        users.revoke_token(db, viewer, 999)


def test_an_expired_token_stops_working(db, people, engine):
    editor = _get(db, people, "editor")
    token, secret = users.create_token(db, editor, expires_at=utcnow() + timedelta(days=1))
    assert users.token_owner(db, users.token_for_secret(db, secret)) is editor
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.add(token)
    db.flush()
    db.expire(token)
    assert users.token_status(db.get(ApiToken, token.id)) == "expired"
    assert users.token_owner(db, users.token_for_secret(db, secret)) is None


@pytest.mark.parametrize("days", ["0", "-3", "soon", "99999"])
def test_it_refuses_a_bad_expiry(days):
    with pytest.raises(Invalid):
        users.expiry_in_days(days)


def test_an_empty_expiry_means_never():
    assert users.expiry_in_days("") is None and users.expiry_in_days(None) is None


@pytest.mark.parametrize("password", ["12345678", "password", " " * 8, " " * 12,
                                      "1234567890", "password123", "qwertyuiop", "aaaaaaaaaaaa",
                                      "\t\n \t\n \t\n "])
def test_weak_passwords_are_refused(db, password):
    with pytest.raises(Invalid):
        users.validate_password(password)


def test_a_long_uncommon_password_is_accepted(db):
    users.validate_password("correct-horse-battery")


@pytest.mark.parametrize("clash", ["Rev1", "REV1", "ｒｅｖ１", " rev1 "])
def test_usernames_are_unique_whatever_their_case_and_width(db, clash):
    users.create_user(db, "rev1", "reviewer", "correct-horse-battery")
    with pytest.raises(Invalid, match="taken"):
        users.create_user(db, clash, "reviewer", "correct-horse-battery")
    assert users.user_by_name(db, clash.strip()).username == "rev1"


@pytest.mark.parametrize("name", ["ed\nitor1", "a b", "x", "é" * 3, "a/b"])
def test_invalid_usernames_are_refused(db, name):
    with pytest.raises(Invalid):
        users.create_user(db, name, "reviewer", "correct-horse-battery")


def test_an_account_without_a_usable_password_costs_a_full_hash_check(db, people,
                                                                       monkeypatch):
    from annotator.services.json_import import unusable_password
    viewer = _get(db, people, "viewer")
    viewer.password_hash = unusable_password()
    db.add(viewer)
    db.flush()
    checked = []
    real = users._hasher

    class Spy:
        def verify(self, stored, password):
            checked.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(users, "_hasher", Spy())
    for name in ("viewer", "nobody-at-all", "editor"):
        assert users.authenticate(db, name, "wrong-password-1") is None
    # Every answer verified one Argon2 hash: the unusable one and the unknown name alike.
    assert len(checked) == 3 and all(h.startswith("$argon2") for h in checked)


def test_a_users_cursor_neither_repeats_nor_skips_when_someone_is_added(db, people):
    for i in range(9):
        db.add(User(username=f"m{i}", role="viewer"))
    first = users.page_users(db, "m", per_page=4)
    assert [u.username for u in first.rows] == ["m0", "m1", "m2", "m3"] and first.total == 9
    db.add(User(username="m00", role="viewer"))  # sorts before the cursor: not shown later
    second = users.page_users(db, "m", page=2, per_page=4, after=first.next_cursor)
    assert [u.username for u in second.rows] == ["m4", "m5", "m6", "m7"]
    assert second.total == 10 and second.next_cursor is not None
    assert users.page_users(db, "m", per_page=10**6).per_page == 200
    # A cursor of another list (or none of ours) reads by offset instead of failing.
    for _ in range(2):
        users.create_token(db, _get(db, people, "editor"))
    token_cursor = users.page_tokens(db, per_page=1).next_cursor
    for cursor in (token_cursor, "junk"):
        again = users.page_users(db, "m", per_page=4, after=cursor)
        assert [u.username for u in again.rows] == ["m0", "m00", "m1", "m2"]


def test_a_token_page_is_one_owners_when_given(db, people):
    editor, admin = _get(db, people, "editor"), _get(db, people, "admin")
    made = [users.create_token(db, editor, f"t{i}")[0].id for i in range(3)]
    users.create_token(db, admin, "other")
    page = users.page_tokens(db, editor, per_page=2)
    assert [t.id for t, _ in page.rows] == made[:0:-1] and page.total == 3
    rest = users.page_tokens(db, editor, page=2, per_page=2, after=page.next_cursor)
    assert [t.id for t, _ in rest.rows] == made[:1] and rest.next_cursor is None


def test_passwords_are_hashed_with_argon2id_at_owasps_first_recommended_settings():
    from argon2 import PasswordHasher

    # The suite swaps in cheaper settings (conftest); these are the ones the desk runs with.
    made = PasswordHasher(**users.ARGON2).hash("correct-horse-battery")
    assert made.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_hash_made_with_other_settings_is_renewed_once_and_the_history_says_so(db, people):
    from argon2 import PasswordHasher

    from annotator.services.json_import import unusable_password

    older = PasswordHasher(time_cost=1, memory_cost=2048, parallelism=2)
    viewer = _get(db, people, "viewer")
    viewer.password_hash = old = older.hash(PASSWORD)
    db.add(viewer)
    db.flush()
    sessions_version = viewer.session_version
    assert users.check_password(viewer, PASSWORD)  # an older hash still verifies
    renewed = users.renewed_hash(viewer, PASSWORD)
    assert renewed and renewed != old
    assert users._hasher.verify(renewed, PASSWORD) and not users._hasher.check_needs_rehash(
        renewed)
    assert users.store_renewed_hash(db, viewer, renewed)
    db.refresh(viewer)
    assert viewer.password_hash == renewed and viewer.session_version == sessions_version
    assert users.renewed_hash(viewer, PASSWORD) is None  # current now: nothing to renew
    (event,) = _events(db, "user_password_rehash")
    assert event.actor_id == viewer.id
    assert event.new["memory_cost"] == users._hasher.memory_cost
    assert "$argon2" not in str(event.new) and PASSWORD not in str(event.new)
    # The password changed meanwhile (the stored hash is no longer the one checked): kept.
    checked_before = User(id=viewer.id, username=viewer.username, role=viewer.role,
                          password_hash=old)
    assert not users.store_renewed_hash(db, checked_before, older.hash(PASSWORD))
    db.refresh(viewer)
    assert viewer.password_hash == renewed and len(_events(db, "user_password_rehash")) == 1
    # No usable hash (an imported account): nothing to renew.
    viewer.password_hash = unusable_password()
    assert users.renewed_hash(viewer, PASSWORD) is None


def test_password_checks_run_at_most_a_few_at_once_per_worker_at_lower_priority(monkeypatch):
    import threading

    from annotator.priority import thread_niceness
    from annotator.services import users as user_service

    running, most, lock = [0], [0], threading.Lock()
    done, niceness = threading.Event(), set()

    class SlowHasher:
        def verify(self, _stored, _password):
            niceness.add(thread_niceness())
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            done.wait(0.02)  # stands for Argon2's tens of milliseconds of work
            with lock:
                running[0] -= 1
            return True

    monkeypatch.setattr(user_service, "_hasher", SlowHasher())
    threads = [threading.Thread(target=user_service.check_password, args=(None, "x" * 12))
               for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most[0] == user_service.HASH_CONCURRENCY
    # ... and on threads that yield the cores to every other request.
    assert niceness == {max(thread_niceness(), user_service.HASH_NICE)}

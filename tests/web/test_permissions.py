"""Every route, for every role, against the permission written beside it (@requires)."""

from __future__ import annotations

import pytest

from annotator import review
from annotator.permissions import requires, route_permissions
from annotator.review import ROLES

GUARD_REFUSAL = "Your role does not allow this"


def _url(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "1").replace(
            f"<path:{arg}>", "app.css")
    return url


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _needs(app, endpoint: str) -> str:
    return route_permissions(app.view_functions)[endpoint]


def test_every_route_has_a_permission_rule(app):
    table = route_permissions(app.view_functions)
    missing = sorted(e for e in {r.endpoint for r in app.url_map.iter_rules()} if not table[e])
    assert not missing, f"routes without @requires(...): {missing}"
    assert set(table.values()) <= review.PERMISSIONS.keys()


def test_a_route_without_a_rule_is_refused(app, as_user, monkeypatch):
    monkeypatch.delattr(app.view_functions["articles.index"], "permission")
    assert as_user("admin").get("/").status_code == 403


def test_an_unknown_permission_name_is_refused_when_the_route_is_written():
    with pytest.raises(KeyError):
        requires("delete_everything")


@pytest.mark.parametrize("role", ROLES)
def test_each_html_route_answers_as_the_table_says(app, as_user, role):
    client = as_user(role)
    for rule, method in _routes(app):
        if rule.endpoint.startswith("api.") or rule.endpoint == "auth.logout":
            continue
        with client.open(_url(rule), method=method) as response:
            body = response.get_data(True)
        allowed = review.may(role, _needs(app, rule.endpoint))
        refused = response.status_code == 403 and GUARD_REFUSAL in body
        assert refused != allowed, f"{role} {method} {rule.rule}: {response.status_code}"


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    for rule, method in _routes(app):
        if rule.endpoint.startswith("api."):
            continue
        with client.open(_url(rule), method=method) as response:
            response.get_data()
        if _needs(app, rule.endpoint) == "public":
            assert response.status_code != 403, rule.rule
        else:
            assert response.status_code in (302, 303), f"{method} {rule.rule}"
            assert "/login" in response.headers["Location"]


@pytest.fixture
def tokens(engine, people):
    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import users

    out = {}
    with session_scope(engine) as session:
        for role in ROLES:
            _, secret = users.create_token(session, session.get(User, people[role]))
            out[role] = secret
    return out


@pytest.mark.parametrize("role", ROLES)
def test_each_api_route_answers_as_the_table_says(app, client, tokens, role):
    headers = {"Authorization": f"Bearer {tokens[role]}"}
    for rule, method in _routes(app):
        if not rule.endpoint.startswith("api."):
            continue
        response = client.open(_url(rule), method=method, headers=headers, json={})
        allowed = review.may(role, _needs(app, rule.endpoint))
        refused = (response.status_code == 403
                   and "role does not allow" in response.get_json()["detail"])
        assert refused != allowed, f"{role} {method} {rule.rule}: {response.status_code}"


def test_the_api_refuses_missing_and_wrong_tokens(app, client):
    for rule, method in _routes(app):
        if not rule.endpoint.startswith("api.") or _needs(app, rule.endpoint) == "public":
            continue
        assert client.open(_url(rule), method=method).status_code == 401
        bad = client.open(_url(rule), method=method, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        assert bad.get_json()["error"]


def test_the_api_stamps_when_a_token_was_last_used(app, client, tokens, engine):
    from sqlmodel import select

    from annotator.db import session_scope
    from annotator.models import ApiToken

    client.get("/api/v1/articles", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    client.post("/api/v1/articles", json={"text": "The port handled 3 million boxes."},
                headers={"Authorization": f"Bearer {tokens['editor']}"})
    with session_scope(engine) as session:
        used = {t.user_id for t in session.exec(select(ApiToken)).all()
                if t.last_used_at is not None}
    assert len(used) == 2

"""Fixtures of the API tests: a caller per role, each with its own bearer token."""

from __future__ import annotations

import pytest

from annotator.db import session_scope
from annotator.models import User
from annotator.services import users


@pytest.fixture
def api(client, engine, people):
    """Return a caller for each role's token: api["editor"]("GET", "/articles")."""
    secrets = {}
    with session_scope(engine) as s:
        for name in ("admin", "editor", "editor2", "reviewer", "viewer"):
            _, secrets[name] = users.create_token(s, s.get(User, people[name]))

    def caller(name):
        def call(method, path, body=None, **kw):
            return client.open(f"/api/v1{path}", method=method, json=body,
                               headers={"Authorization": f"Bearer {secrets[name]}"}, **kw)
        return call

    return {name: caller(name) for name in secrets}

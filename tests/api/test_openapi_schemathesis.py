"""schemathesis against /api/v1/openapi.json: no server error, every answer fits the schema.

It drives the app through WSGI with an admin's token, with positive (schema-valid) inputs
only, a bounded number of examples per operation, and URL fetching switched off.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from annotator.db import session_scope
from annotator.models import User
from annotator.services import articles, fetch, users
from annotator.services.errors import Invalid

EXAMPLES = 25
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance,
          status_code_conformance]
TEXT = ("The council spent 4.2 million dollars on roads in 2023, officials said. "
        "Unemployment fell to 3.1 percent, the lowest level since 1990, the mayor claimed.")


@pytest.fixture
def token(engine, people, monkeypatch) -> str:
    """Seed one article and give an admin's token; never fetch a generated URL."""
    def no_fetch(url, settings=None):
        raise Invalid("Fetching is switched off in this test.")

    monkeypatch.setattr(fetch, "fetch_page", no_fetch)
    with session_scope(engine) as s:
        admin = s.get(User, people["admin"])
        articles.import_article(s, admin, articles.ImportRequest(text=TEXT, title="Seed"))
        return users.create_token(s, admin)[1]


@pytest.fixture
def api_schema(app, token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=EXAMPLES,
                                    with_security_parameters=False, allow_x00=False)
    return schema


def _operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


# One test walks every operation with Hypothesis directly: schemathesis's lazy pytest
# loader does not work with this pytest's node ids.
def test_the_api_keeps_its_documented_promises(api_schema, token):
    headers = {"Authorization": f"Bearer {token}"}
    seen = []
    for operation in _operations(api_schema):
        seen.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy(GenerationMode.POSITIVE))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
    # Every operation but openapi.json itself, which schemathesis leaves out.
    documented = sum(len(item) for item in api_schema.raw_schema["paths"].values())
    assert len(seen) == documented - 1, seen

"""Fuzz every HTML and API route's parameters: bad input gets a 4xx, never a 500 or a traceback.

Hypothesis picks a route, fills its path, query, form and JSON with hostile values (huge and
negative numbers, odd dates, NUL bytes, control characters, long strings) and checks the
answer. It runs in ``make test`` on SQLite, and on PostgreSQL with TEST_DATABASE_URL.
"""

from __future__ import annotations

import logging
import socket
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.db import session_scope
from annotator.models import User
from annotator.services import articles, claims, fetch

# Routes that end the fuzzing session or would take the whole run somewhere else.
# (A hostile value is a fine new password: the fuzzing admin would be signed out.)
SKIP = {"auth.logout", "static", "admin.reset_password", "account.change_password",
        "admin.retrain"}

NASTY = [
    "", "0", "-1", "1", "2", "3", "18446744073709551621", "9999999999999999999999999",
    str(2**31), str(2**63), "1e20", "NaN", "1.5", " 7", "٣",
    "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "not a date", "2026-13-45",
    "2026-05-01", "\x00", "a\x00b", "\x01\t\n", "javascript:alert(1)", "<script>x</script>",
    "x" * 5000, "true", "false", "approved", "in_review", "json", "csv", "wadm",
    "claimreview", "editor", "reviewer", "%", "'", '"', "[", "{", "\ud7ff", "＝1",
]
value = st.one_of(st.sampled_from(NASTY), st.integers(min_value=-(2**70), max_value=2**70)
                  .map(str), st.text(max_size=40))
NAMES = ["after", "before", "user_id", "ref", "claim", "tier", "page", "per_page", "article",
         "verdict", "state", "q", "since", "until", "format",
         "at", "other", "assignee", "limit", "cursor", "sort", "id", "ids", "claim_ids",
         "version", "action", "comment", "statement", "conclusion", "claimant", "url", "text",
         "title", "body", "stance", "published", "key", "label", "colour", "rating_value",
         "position", "role", "username", "password", "name", "on", "start", "end", "since_id",
         "published_url", "archived_url", "language", "expires"]
params = st.dictionaries(st.sampled_from(NAMES), value, max_size=5)
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=False), st.sampled_from(NASTY)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner,
                                                               max_size=3),
    max_leaves=8)


def _routes(app) -> list[tuple[str, str, list[str]]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method, list(rule.arguments)))
    return sorted(found)


def _fill(rule: str, args: list[str], data) -> str:
    url = rule
    for name in args:
        raw = data.draw(st.one_of(st.sampled_from(["1", "2", "0", "4294967296",
                                                   "18446744073709551621", "x", "json"]),
                                  st.integers(min_value=0, max_value=2**66).map(str)))
        url = url.replace(f"<int:{name}>", raw).replace(f"<{name}>", raw)
        for kind in ("string", "path"):
            url = url.replace(f"<{kind}:{name}>", raw)
    return url


@pytest.fixture
def desk(app, engine, people, monkeypatch):
    """A desk with an article and a claim, no DNS, and an admin's API token."""
    def no_dns(*args, **kwargs):
        raise socket.gaierror("fuzzing: no network")

    monkeypatch.setattr(fetch.socket, "getaddrinfo", no_dns)
    from annotator.services import users
    with session_scope(engine) as s:
        admin = s.get(User, people["admin"])
        article = articles.import_article(s, admin, articles.ImportRequest(
            text="The port handled 3.1 million containers in 2024, up 12 percent, it said."))
        claims.create_claim(s, admin, article.id, 0, 40)
        claims.create_claim(s, admin, article.id, 41, 60)
        _, token = users.create_token(s, admin)
    return token


EXAMPLES_PER_ROUTE = 16


# Each of these, given to every parameter at once, has broken some route before: huge and
# Unicode digits ("²" and "٣" pass str.isdigit), 20- and 30-digit ids, odd dates, NUL, a lone
# surrogate, and cursors: a forged one (the old unsigned form), a signed one of another list
# and sort, and a tampered one (see _cursors).
KILLERS = ["18446744073709551621", "9999999999999999999999999", str(2**31), "-1",
           "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-13-45",
           "a\x00b", "x" * 5000, "1e20", "\u00b2", "\u0663", "12345678901234567890",
           "123456789012345678901234567890", "\x00", "\ud800", "a\udfffb",
           "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMCwgMV0", "c1.W1siXHVkODAwIiwgMV1d.AAAA"]


def _cursors(client) -> list[str]:
    """A real signed cursor, the same tampered, and one moved to another sort."""
    token = client.get("/claims?format=json&per_page=1&sort=-id").get_json().get("next", "")
    assert token.startswith("c1."), "the desk has two claims, so page 1 has a next cursor"
    return [token, token[:-3] + "xyz", token.replace("c1.", "c1.A", 1)]


SENT = {"requests": 0}
MIN_REQUESTS = 5_000


# 5,000+ requests: about a minute on an idle 2-core machine; room for a loaded one.
@pytest.mark.timeout(1200)
def test_no_route_answers_bad_input_with_a_500(app, desk, as_user, caplog):
    client = as_user("admin")
    failures = []
    SENT["requests"] = 0
    killers = KILLERS + _cursors(client)
    for rule, method, args in _routes(app):
        for i, killer in enumerate(killers):
            # A valid format half the time, so exports read the hostile filters too.
            fields = {**{n: killer for n in NAMES}, "format": ("csv", "json", killer)[i % 3]}
            # Hostile path ids, then real ones (1) so the view reads the hostile fields.
            for path_value in ((killer, "1") if args else ("1",)):
                failure = _request(client, desk, caplog, rule.replace("<int:", "<"), method,
                                   {name: path_value for name in args}, fields, fields)
                if failure:
                    failures.append(failure)
        try:
            _fuzz_one(client, desk, caplog, rule, method, args)
        except AssertionError as exc:
            failures.append(str(exc)[:300])
    assert not failures, "\n".join(map(str, failures))
    assert SENT["requests"] >= MIN_REQUESTS, SENT
    print(f"fuzzed {SENT['requests']} requests, none answered 500")


def _encoded(values: dict) -> str:
    # Lone surrogates go out as their UTF-8 bytes, as a hand-made URL or form would send them.
    return urlencode(values, doseq=True, encoding="utf-8", errors="surrogatepass")


def _request(client, token, caplog, rule, method, path_args, query, body):
    url = rule
    for name, raw in path_args.items():
        for pattern in (f"<{name}>", f"<string:{name}>", f"<path:{name}>"):
            url = url.replace(pattern, quote(raw if "\x00" not in raw else "x", safe="",
                                             errors="surrogatepass"))
    caplog.clear()
    SENT["requests"] += 1
    with caplog.at_level(logging.ERROR):
        if rule.startswith("/api/"):
            response = client.open(url, method=method, query_string=_encoded(query),
                                   json=body if method in ("POST", "PATCH", "PUT") else None,
                                   headers={"Authorization": f"Bearer {token}"})
        elif method == "GET":
            response = client.get(url, query_string=_encoded(query))
        else:
            response = client.open(url, method=method, data=_encoded(body),
                                   query_string=_encoded(query),
                                   content_type="application/x-www-form-urlencoded")
        status = response.status_code
        response.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    if status >= 500 or errors:
        first = errors[0].getMessage()[:120] if errors else ""
        return (method, url[:80], str(query.get("page"))[:30], status, first)
    return None


def _fuzz_one(client, token, caplog, rule, method, args) -> None:
    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def probe(data):
        url = _fill(rule, args, data)
        query = data.draw(params)
        caplog.clear()
        SENT["requests"] += 1
        with caplog.at_level(logging.ERROR):
            if rule.startswith("/api/"):
                headers = {"Authorization": f"Bearer {token}"}
                body = data.draw(json_value) if method in ("POST", "PATCH", "PUT") else None
                response = client.open(url, method=method, query_string=query, json=body,
                                       headers=headers)
            elif method == "GET":
                response = client.get(url, query_string=query)
            else:
                response = client.open(url, method=method, data=data.draw(params),
                                       query_string=query)
            status = response.status_code
            response.close()
        assert status < 500, (method, url, query, status)
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors, (method, url, query, errors[0].getMessage())

    probe()

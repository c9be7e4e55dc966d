"""Hidden means hidden in every computation (issue 19): a differential test.

A blinded reviewer's answers on every face are taken twice: once as the desk is, and once
after the hidden first verdicts and conclusions are swapped between two values (each hidden
"false" claim gets the "true" claim's verdict and conclusion, and back). Nothing the reader
may see changes, so nothing they are shown may change either: the same ids, in the same
order, with the same totals (tokens and times aside). A face that sorts, counts, caps or
ranks by a hidden value fails here.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import update
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, User
from annotator.services import articles, blind, claims, queries

TEXT = " ".join(f"Claim number {i} says the harbour moved {i} tonnes of cargo in {2000 + i}."
                for i in range(12))
A = ("false", "The port authority's alpha bravo ledger shows otherwise.")
B = ("true", "The charlie delta filings confirm it.")
SOURCE = {"url": "https://port.example/ledger", "stance": "refutes"}


def _u(s, people, name) -> User:
    return s.get(User, people[name])


@pytest.fixture
def desk(engine, people):
    """Twelve claims: eight in review on a blind article (hidden from reviewer2), four
    approved elsewhere (visible to all), with both verdicts and both conclusions."""
    out = {"hidden": {"A": [], "B": []}, "visible": []}
    with session_scope(engine) as s:
        admin, reviewer = _u(s, people, "admin"), _u(s, people, "reviewer")
        blind_article = articles.import_article(s, admin, articles.ImportRequest(text=TEXT))
        blind.set_article_blind(s, admin, blind_article.id, True)
        open_article = articles.import_article(
            s, admin, articles.ImportRequest(text=TEXT.replace("harbour", "airport")))
        for article in (blind_article, open_article):
            for c in articles.article_claims(s, article.id):
                claims.transition(s, admin, c.id, "dismiss")
        out["article"] = blind_article.id
        for i, (article, count) in enumerate(((blind_article, 8), (open_article, 4))):
            for n in range(count):
                needle = f"Claim number {n} says"
                start = article.body.index(needle)
                claim = claims.create_claim(s, admin, article.id, start,
                                            article.body.index(".", start) + 1)
                claims.transition(s, reviewer, claim.id, "start")
                verdict, conclusion = (A, B)[n % 2]
                claims.update_claim(s, reviewer, claim.id, claim.version,
                                    {"verdict": verdict, "conclusion": conclusion})
                claims.add_source(s, reviewer, claim.id, SOURCE)
                claims.transition(s, reviewer, claim.id, "submit")
                if i == 0:
                    out["hidden"]["AB"[n % 2]].append(claim.id)
                else:
                    claims.transition(s, admin, claim.id, "approve")
                    out["visible"].append(claim.id)
    return out


def _swap(engine, desk) -> None:
    """Swap the hidden claims' verdicts and conclusions between the two values."""
    with session_scope(engine) as s:
        for group, (verdict, conclusion) in (("A", B), ("B", A)):
            s.exec(update(Claim).where(Claim.id.in_(desk["hidden"][group]))
                   .values(verdict=verdict, conclusion=conclusion))


_VOLATILE = [re.compile(p) for p in (
    r'name="csrf_token"[^>]*>', r'"X-CSRFToken": "[^"]*"', r'"exported_at": ?"[^"]*"',
    r"\d{4}-\d\d-\d\dT[\d:.]+Z?",
    r"nonce-[A-Za-z0-9+/=_-]+", r'nonce="[^"]*"', r"c1\.[A-Za-z0-9_.=-]+")]


def _stable(text: str) -> str:
    for pattern in _VOLATILE:
        text = pattern.sub("~", text)
    return text


def _ids(payload: dict) -> dict:
    items = payload.get("items", payload.get("claims", []))
    return {"ids": [item.get("id") for item in items], "total": payload.get("total"),
            "sort": payload.get("sort"), "next": bool(payload.get("next"))}


SEARCHES = ["alpha", "charlie", '"alpha bravo"', '"charlie delta"', "harbour",
            "harbour alpha", '"harbour moved"', "cargo -alpha", "tonnes charlie"]


def _faces(client, desk) -> dict:
    """Every face a blinded reviewer reads, reduced to what must not move."""
    out = {}
    for sort in ("verdict", "-verdict", "state", "-id", ""):
        for page in (1, 2):
            response = client.get("/claims", query_string={
                "format": "json", "sort": sort, "per_page": 5, "page": page})
            assert response.status_code == 200, sort
            out[f"list sort={sort} page={page}"] = _ids(response.get_json())
    for q in SEARCHES:
        for sort in ("", "verdict"):
            response = client.get("/claims", query_string={"format": "json", "q": q,
                                                           "sort": sort, "per_page": 50})
            out[f"search {q} sort={sort}"] = _ids(response.get_json())
    out["dashboard"] = client.get("/dashboard?format=json").get_json()
    out["dashboard article"] = client.get(
        f"/dashboard?format=json&article={desk['article']}").get_json()
    from annotator.exports.formats import FORMATS

    for fmt in FORMATS:
        for extra in ({}, {"verdict": "false"}, {"verdict": "true"}, {"q": "alpha"},
                      {"state": "in_review"}):
            response = client.get("/exports/download",
                                  query_string={"format": fmt, **extra})
            assert response.status_code == 200, (fmt, extra, response.status_code)
            out[f"export {fmt} {extra}"] = _stable(response.get_data(as_text=True))
            api = client.get(f"/api/v1/exports/{fmt}", query_string=extra,
                             headers=desk["api"])
            assert api.status_code == 200, (fmt, extra, api.status_code)
            out[f"api export {fmt} {extra}"] = _stable(api.get_data(as_text=True))
    for claim_id in desk["visible"][:2] + desk["hidden"]["A"][:1]:
        response = client.get(f"/claims/{claim_id}/matches?format=json")
        out[f"matches {claim_id}"] = _stable(response.get_data(as_text=True))
    for claim_id in desk["visible"][:2]:
        response = client.get(f"/api/v1/claims/{claim_id}/matches", headers=desk["api"])
        out[f"api matches {claim_id}"] = _stable(response.get_data(as_text=True))
    for q in ("harbour cargo", "alpha bravo ledger", "charlie delta filings"):
        response = client.get("/api/v1/matches", query_string={"q": q}, headers=desk["api"])
        out[f"api matches q={q}"] = _stable(response.get_data(as_text=True))
    for path in ("/api/v1/claims?sort=verdict", "/api/v1/claims?q=alpha",
                 f"/api/v1/articles/{desk['article']}"):
        response = client.get(path, headers=desk["api"])
        out[f"api {path}"] = _stable(response.get_data(as_text=True))
    response = client.get(f"/articles/{desk['article']}/live?since=0")
    out["live"] = _stable(response.get_data(as_text=True))
    return out


def _reviewer2(app, engine, people, desk=None):
    from annotator.services import users
    from tests.conftest import login

    client = app.test_client()
    login(client, "reviewer2")
    if desk is not None:
        with session_scope(engine) as s:
            _, secret = users.create_token(s, _u(s, people, "reviewer2"))
        desk["api"] = {"Authorization": f"Bearer {secret}"}
    return client


def test_swapping_hidden_verdicts_changes_nothing_a_blinded_reader_is_shown(
        app, engine, people, desk):
    client = _reviewer2(app, engine, people, desk)
    before = _faces(client, desk)
    _swap(engine, desk)
    after = _faces(client, desk)
    assert [k for k in before if before[k] != after[k]] == []


@pytest.mark.parametrize("cap", [1, 3, 4, 8])
def test_search_caps_and_rank_windows_count_only_what_the_reader_sees(
        app, engine, people, desk, monkeypatch, cap):
    """At and past the count cap and the rank window, a hidden conclusion moves nothing."""
    monkeypatch.setattr(queries, "COUNT_CAP", cap)
    monkeypatch.setattr(queries, "RANK_WINDOW", cap)
    client = _reviewer2(app, engine, people)

    def searches():
        return {q: _ids(client.get("/claims", query_string={
            "format": "json", "q": q, "per_page": 50}).get_json()) for q in SEARCHES}

    before = searches()
    _swap(engine, desk)
    assert searches() == before


def test_the_verdict_sort_places_hidden_claims_as_if_they_had_none(app, engine, people,
                                                                     desk):
    client = _reviewer2(app, engine, people)
    items = client.get("/claims?format=json&sort=verdict&per_page=50").get_json()["items"]
    hidden = set(desk["hidden"]["A"] + desk["hidden"]["B"])
    positions = [i for i, item in enumerate(items) if item["id"] in hidden]
    # The hidden ones sit together, in id order, where claims without a verdict sort.
    assert positions == list(range(positions[0], positions[0] + len(hidden)))
    assert [items[i]["id"] for i in positions] == sorted(hidden)
    assert all(items[i]["verdict"] is None for i in positions)


def test_an_editor_still_sorts_by_the_real_verdict(app, engine, people, desk):
    from tests.conftest import login

    client = app.test_client()
    login(client, "editor")
    items = client.get("/claims?format=json&sort=verdict&per_page=50").get_json()["items"]
    verdicts = [item["verdict"] for item in items if item["verdict"] is not None]
    assert verdicts == sorted(verdicts) and {"false", "true"} <= set(verdicts)
    with session_scope(engine) as s:
        assert s.exec(select(Claim).where(Claim.verdict.is_not(None))).first() is not None
    json.dumps(verdicts)

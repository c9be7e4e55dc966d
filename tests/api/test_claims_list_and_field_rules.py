"""GET /api/v1/claims and one contract per field: the models' limits on every face."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import ClaimUpdate, Source, SourceCreate, User, max_length
from annotator.services import articles, claims

TEXT = ("The port handled 3.1 million containers in 2024, up 12 percent on 2023.\n\n"
        "Mayor Ana Silva said the new crane cost 8 million euros.\n\n"
        "Officials said 40 new berths would open by 2026, at a cost of 2 billion euros.")


@pytest.fixture
def desk(engine, people):
    """Three articles of three claims; two claims approved, one with a source."""
    ids = []
    with session_scope(engine) as s:
        admin = s.get(User, people["admin"])
        for n in range(3):
            article = articles.import_article(s, admin, articles.ImportRequest(
                text=TEXT.replace("2024", str(2000 + n)), title=f"Port {n}"))
            for paragraph in article.body.split("\n\n")[:3]:
                start = article.body.index(paragraph)
                ids.append(claims.create_claim(s, admin, article.id, start,
                                               start + len(paragraph)).id)
    return ids


def test_the_api_lists_claims_with_the_pages_filters_and_pages_to_the_end(api, desk):
    seen, url = [], "/claims?per_page=2&state=open&q=port"
    first = api["viewer"]("GET", "/claims?per_page=2&state=open").get_json()
    assert first["total"] == len(desk) and "next" in first
    url = "/claims?per_page=2&state=open"
    while url:
        page = api["viewer"]("GET", url).get_json()
        seen += [c["id"] for c in page["items"]]
        assert all(c["state"] == "open" for c in page["items"])
        url = f"/claims?per_page=2&state=open&after={page['next']}" if "next" in page else None
    assert sorted(seen) == sorted(desk) and len(seen) == len(set(seen))
    # Newest first when nothing else is asked.
    assert seen == sorted(seen, reverse=True)


def test_the_api_list_filters_by_text_verdict_article_and_claimant(api, desk, engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        claims.update_claim(s, editor, desk[0], 1, {"claimant": "Harbour Board",
                                                    "verdict": "false"})
    only = api["editor"]("GET", "/claims?claimant=Harbour+Board").get_json()
    assert [c["id"] for c in only["items"]] == [desk[0]]
    assert [c["id"] for c in api["editor"]("GET", "/claims?verdict=false").get_json()[
        "items"]] == [desk[0]]
    found = api["editor"]("GET", "/claims?q=berths&state=open").get_json()
    assert {c["id"] for c in found["items"]} == {desk[2], desk[5], desk[8]}
    assert all("<mark>" in c["snippet"] for c in found["items"])
    article_id = api["editor"]("GET", f"/claims/{desk[4]}").get_json()["article_id"]
    in_article = api["editor"]("GET", f"/claims?article={article_id}&sort=id&state=open").get_json()
    assert [c["id"] for c in in_article["items"]] == desk[3:6]


def test_a_claim_is_the_same_in_the_api_list_the_pages_twin_and_the_api_claim(api, desk,
                                                                               as_user):
    listed = {c["id"]: c for c in api["editor"]("GET", "/claims?sort=id").get_json()["items"]}
    twin = {c["id"]: c for c in as_user("editor").get("/claims?format=json&sort=id")
            .get_json()["items"]}
    assert listed == twin
    for claim_id in desk[:3]:
        one = api["editor"]("GET", f"/claims/{claim_id}").get_json()
        assert set(listed[claim_id]) <= set(one)
        assert {k: one[k] for k in listed[claim_id]} == listed[claim_id]
        assert listed[claim_id]["updated_at"].endswith("Z")


@pytest.mark.parametrize("query,name", [
    ("page=%C2%B2", "page"), ("per_page=0", "per_page"), ("page=99999999999999999999", "page"),
    ("after=forged", "after"), ("state=nonsense", "state"), ("sort=password", "sort"),
    ("article=123456789012345678901234567890", "article"), ("q=%00", None),
])
def test_a_bad_parameter_on_the_api_list_is_a_400_naming_it(api, desk, query, name):
    answer = api["viewer"]("GET", f"/claims?{query}")
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == "Bad Request"
    if name:
        assert body["detail"].startswith(name), body


def test_openapi_states_the_limits_the_server_enforces(api):
    schemas = api["viewer"]("GET", "/openapi.json").get_json()["components"]["schemas"]
    assert schemas["ClaimUpdate"]["properties"]["statement"]["maxLength"] == 2000
    assert schemas["ClaimUpdate"]["properties"]["conclusion"]["maxLength"] == 5000
    assert schemas["SourceCreate"]["properties"]["title"]["maxLength"] == 500
    assert schemas["SourceCreate"]["properties"]["excerpt"]["maxLength"] == 10_000
    assert max_length(ClaimUpdate, "statement") == 2000
    assert max_length(SourceCreate, "title") == 500


@pytest.fixture
def working(api, desk, engine, people):
    """A claim the reviewer works on."""
    claim_id = desk[0]
    for action in ("start",):
        assert api["reviewer"]("POST", f"/claims/{claim_id}/transitions",
                               {"action": action}).status_code == 200
    return api["reviewer"]("GET", f"/claims/{claim_id}").get_json()


@pytest.mark.parametrize("field,limit", [("statement", 2000), ("conclusion", 5000),
                                         ("claimant", 300)])
def test_one_character_more_than_the_limit_is_a_400_naming_the_field(api, working, field,
                                                                      limit):
    path = f"/claims/{working['id']}"
    refused = api["reviewer"]("PATCH", path, {"version": working["version"],
                                              field: "x" * (limit + 1)})
    assert refused.status_code == 400
    assert refused.get_json()["detail"].startswith(field)
    assert str(f"{limit:,}") in refused.get_json()["detail"]
    kept = api["reviewer"]("PATCH", path, {"version": working["version"], field: "y" * limit})
    assert kept.status_code == 200
    assert kept.get_json()[field] == "y" * limit  # stored whole, never cut


@pytest.mark.parametrize("field,limit", [("title", 500), ("publisher", 200),
                                         ("excerpt", 10_000), ("url", 2000),
                                         ("archived_url", 2000)])
def test_a_source_field_too_long_is_refused_never_cut(api, working, engine, field, limit):
    body = {"url": "https://port.example/report", "title": "Annual report",
            "stance": "supports"}
    long_value = "x" * (limit + 1)
    if field.endswith("url"):
        long_value = "https://port.example/" + "a" * (limit + 1 - len("https://port.example/"))
    refused = api["reviewer"]("POST", f"/claims/{working['id']}/sources",
                              {**body, field: long_value})
    assert refused.status_code == 400
    assert refused.get_json()["detail"].startswith(field)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Source)).one() == 0


def test_a_source_form_too_long_is_refused_on_the_page_too(as_user, working, engine):
    page = as_user("reviewer").post(f"/claims/{working['id']}/sources", data={
        "url": "https://port.example/report", "title": "t" * 501, "stance": "supports"},
        headers={"Accept": "text/html"})
    assert page.status_code == 400
    assert "title is longer than 500 characters" in page.get_data(True)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Source)).one() == 0


def test_forms_take_maxlength_from_the_model(as_user, working):
    panel = as_user("reviewer").get(f"/claims/{working['id']}").get_data(True)
    assert 'name="statement"' in panel
    for name in ("statement", "conclusion", "claimant"):
        assert f'name="{name}"' in panel
    assert 'maxlength="2000"' in panel and 'maxlength="5000"' in panel


def test_a_long_selection_makes_a_visibly_shortened_statement(engine, people):
    body = "The port " + "handled many containers and " * 120 + "grew."
    with session_scope(engine) as s:
        admin = s.get(User, people["admin"])
        article = articles.import_article(s, admin, articles.ImportRequest(text=body,
                                                                           title="Long"))
        made = claims.create_claim(s, admin, article.id, 0, len(article.body))
        assert len(made.quote) > 2000
        assert len(made.statement) == 2000 and made.statement.endswith("\u2026")


def test_a_typed_title_too_long_is_refused_but_a_found_one_is_shortened(api):
    refused = api["editor"]("POST", "/articles", {"text": TEXT, "title": "T" * 501})
    assert refused.status_code == 400 and refused.get_json()["detail"].startswith("title")
    html = (f"<html><head><title>{'Harbour ' * 90}</title></head><body><article><p>"
            + TEXT.replace("\n\n", "</p><p>") + "</p></article></body></html>")
    made = api["editor"]("POST", "/articles", {"html": html})
    assert made.status_code == 201, made.get_json()
    title = made.get_json()["title"]
    assert len(title) <= 500 and title.endswith("\u2026")

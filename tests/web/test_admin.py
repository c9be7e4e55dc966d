"""The admin pages and the account page: who may open them, and what each form does."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import ApiToken, Claim, Event, User, Verdict
from annotator.services import articles
from annotator.services import users as user_service

PASSWORD = "correct-horse-battery"
ADMIN_PAGES = ["/admin/users", "/admin/users/1", "/admin/tokens", "/admin/verdicts"]


@pytest.fixture
def admin(as_user):
    return as_user("admin")


def _user(engine, name: str) -> User:
    with session_scope(engine, write=False) as session:
        return session.exec(select(User).where(User.username == name)).one()


def _secret(page: str) -> str:
    return re.search(r'class="secret-value" readonly value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("role", ["editor", "reviewer", "viewer"])
def test_it_refuses_the_admin_pages_to_everyone_but_admins(as_user, role):
    client = as_user(role)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/admin/users", data={"username": "eve", "role": "admin",
                                              "password": "long-enough-1"}).status_code == 403
    assert client.post("/admin/users/1/role", data={"role": role}).status_code == 403
    page = client.get("/").get_data(True)
    assert 'href="/admin/users"' not in page and 'href="/account"' in page


def test_it_shows_the_admin_link_and_pages_to_admins(admin):
    assert 'href="/admin/users"' in admin.get("/").get_data(True)
    for url in ADMIN_PAGES:
        assert admin.get(url).status_code == 200, url
    assert admin.get("/admin/").status_code == 302
    assert admin.get("/admin/users/999").status_code == 404


def test_it_creates_a_user_who_can_then_sign_in(admin, app, engine):
    response = admin.post("/admin/users", data={"username": "nadia", "role": "reviewer",
                                                 "password": "long-enough-1",
                                                 "display_name": "Nadia K"})
    assert response.status_code == 303
    assert "Created reviewer nadia" in admin.get("/admin/users").get_data(True)
    client = app.test_client()
    assert client.post("/login", data={"username": "nadia",
                                       "password": "long-enough-1"}).status_code == 303
    admin_id = _user(engine, "admin").id
    with session_scope(engine) as session:
        event = session.exec(select(Event).where(Event.action == "user_create")).one()
        assert event.actor_id == admin_id
        assert "long-enough-1" not in str(event.new) and "argon" not in str(event.new)


def test_it_explains_bad_input_and_keeps_the_form(admin):
    response = admin.post("/admin/users", data={"username": "editor", "role": "reviewer",
                                                 "password": "long-enough-1"})
    assert response.status_code == 400
    assert "is taken" in response.get_data(True)
    short = admin.post("/admin/users", data={"username": "zed", "role": "reviewer",
                                              "password": "short"})
    assert short.status_code == 400 and "at least 10" in short.get_data(True)
    assert 'value="zed"' in short.get_data(True)
    bad_role = admin.post("/admin/users", data={"username": "zed", "role": "boss",
                                                 "password": "long-enough-1"})
    assert bad_role.status_code == 400 and "Unknown role" in bad_role.get_data(True)


def test_it_changes_a_role_and_deactivates_and_reactivates(admin, app, engine, people):
    rid = people["reviewer"]
    assert admin.post(f"/admin/users/{rid}/role", data={"role": "editor"}).status_code == 303
    assert _user(engine, "reviewer").role == "editor"
    assert admin.post(f"/admin/users/{rid}/deactivate").status_code == 303
    assert _user(engine, "reviewer").active is False
    client = app.test_client()
    refused = client.post("/login", data={"username": "reviewer", "password": PASSWORD})
    assert refused.status_code == 401
    assert admin.post(f"/admin/users/{rid}/reactivate",
                      data={"back": "user"}).headers["Location"] == f"/admin/users/{rid}"
    assert client.post("/login", data={"username": "reviewer",
                                       "password": PASSWORD}).status_code == 303


def test_a_deactivated_user_is_signed_out_at_once(admin, as_user, people):
    reviewer = as_user("reviewer")
    assert reviewer.get("/").status_code == 200
    admin.post(f"/admin/users/{people['reviewer']}/deactivate")
    assert reviewer.get("/").status_code == 302


def test_the_last_admin_cannot_deactivate_or_demote_themselves(admin, people):
    me = people["admin"]
    response = admin.post(f"/admin/users/{me}/deactivate")
    assert response.status_code == 400
    assert "last active admin" in response.get_data(True)
    demote = admin.post(f"/admin/users/{me}/role", data={"role": "editor", "back": "user"})
    assert demote.status_code == 400 and "last active admin" in demote.get_data(True)
    admin.post(f"/admin/users/{people['editor']}/role", data={"role": "admin"})
    assert admin.post(f"/admin/users/{me}/role", data={"role": "editor"}).status_code == 303


def test_it_resets_a_password(admin, app, people):
    rid = people["viewer"]
    short = admin.post(f"/admin/users/{rid}/password", data={"password": "short"})
    assert short.status_code == 400 and "at least 10" in short.get_data(True)
    assert admin.post(f"/admin/users/{rid}/password",
                      data={"password": "a-new-secret-1"}).status_code == 303
    client = app.test_client()
    assert client.post("/login", data={"username": "viewer",
                                       "password": "a-new-secret-1"}).status_code == 303


def test_it_creates_a_token_shows_it_once_and_revokes_it(admin, client, engine, people):
    response = admin.post("/admin/tokens", data={"user_id": str(people["editor"]),
                                                  "name": "CMS", "expires_days": "30"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    secret = _secret(response.get_data(True))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/articles", headers=headers).status_code == 200
    listing = admin.get("/admin/tokens").get_data(True)
    assert "CMS" in listing and secret not in listing
    with session_scope(engine) as session:
        token = session.exec(select(ApiToken)).one()
        assert token.expires_at is not None
    assert admin.post(f"/admin/tokens/{token.id}/revoke").status_code == 303
    assert client.get("/api/v1/articles", headers=headers).status_code == 401
    assert "revoked" in admin.get("/admin/tokens").get_data(True)


def test_it_refuses_a_token_without_a_user_or_with_a_bad_expiry(admin, people):
    assert admin.post("/admin/tokens", data={"user_id": ""}).status_code == 400
    bad = admin.post("/admin/tokens", data={"user_id": str(people["editor"]),
                                             "expires_days": "soon"})
    assert bad.status_code == 400 and "whole number of days" in bad.get_data(True)
    assert admin.post("/admin/tokens/999/revoke").status_code == 404


def test_it_edits_the_verdict_scale(admin, engine):
    response = admin.post("/admin/verdicts/mixed", data={
        "label": "Half true", "colour": "#AABBCC", "alternate_name": "Half true",
        "rating_value": "4", "position": "2"})
    assert response.status_code == 303
    with session_scope(engine) as session:
        mixed = session.get(Verdict, "mixed")
        assert (mixed.label, mixed.colour, mixed.rating_value, mixed.needs_source) == (
            "Half true", "#aabbcc", 4, False)
    assert ".verdict-mixed { --verdict: #aabbcc; }" in admin.get("/verdicts.css").get_data(True)
    bad = admin.post("/admin/verdicts/mixed", data={"label": "X", "colour": "red"})
    assert bad.status_code == 400 and "colour" in bad.get_data(True)
    zero = admin.post("/admin/verdicts/mixed", data={"label": "X", "rating_value": "0"})
    assert zero.status_code == 400 and "1 or more" in zero.get_data(True)


def test_it_adds_and_removes_an_unused_verdict(admin, engine):
    bad = admin.post("/admin/verdicts", data={"key": "Bad Key", "label": "Satire"})
    assert bad.status_code == 400 and "lowercase" in bad.get_data(True)
    assert admin.post("/admin/verdicts", data={"key": "satire", "label": "Satire",
                                                "colour": "#123456"}).status_code == 303
    assert "satire" in admin.get("/admin/verdicts").get_data(True)
    assert admin.post("/admin/verdicts/satire/delete").status_code == 303
    with session_scope(engine) as session:
        assert session.get(Verdict, "satire") is None


def test_it_refuses_to_remove_a_verdict_in_use(admin, engine, people):
    with session_scope(engine) as session:
        editor = session.get(User, people["editor"])
        article = articles.import_article(session, editor, articles.ImportRequest(
            text="The council spent 4 million euros on bus lanes in 2023."))
        claim = session.exec(select(Claim).where(Claim.article_id == article.id)).first()
        if claim is None:
            from annotator.services import claims

            claim = claims.create_claim(session, editor, article.id, 0, 20)
        claim.verdict = "false"
        session.add(claim)
    response = admin.post("/admin/verdicts/false/delete")
    assert response.status_code == 400
    assert "in use by 1 claim" in response.get_data(True)
    with session_scope(engine) as session:
        assert session.get(Verdict, "false") is not None


def test_everyone_signed_in_manages_their_own_account(as_user, app, engine):
    viewer = as_user("viewer")
    assert viewer.get("/account").status_code == 200
    assert viewer.post("/account/name", data={"display_name": "  Vera  V "}).status_code == 303
    assert _user(engine, "viewer").display_name == "Vera V"
    wrong = viewer.post("/account/password", data={"current": "nope-nope-nope",
                                                   "password": "brand-new-pass",
                                                   "confirm": "brand-new-pass"})
    assert wrong.status_code == 400 and "current password is wrong" in wrong.get_data(True)
    differ = viewer.post("/account/password", data={"current": PASSWORD,
                                                    "password": "brand-new-pass",
                                                    "confirm": "brand-new-pas"})
    assert differ.status_code == 400 and "differ" in differ.get_data(True)
    assert viewer.post("/account/password", data={"current": PASSWORD,
                                                  "password": "brand-new-pass",
                                                  "confirm": "brand-new-pass"}).status_code == 303
    client = app.test_client()
    assert client.post("/login", data={"username": "viewer",
                                       "password": "brand-new-pass"}).status_code == 303


def test_a_user_manages_only_their_own_tokens(as_user, engine, people, client):
    reviewer = as_user("reviewer")
    made = reviewer.post("/account/tokens", data={"name": "my script"})
    assert made.status_code == 201
    secret = _secret(made.get_data(True))
    assert client.get("/api/v1/articles",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    with session_scope(engine) as session:
        other, _ = user_service.create_token(session, session.get(User, people["editor"]))
        other_id = other.id
        mine = session.exec(select(ApiToken).where(ApiToken.user_id == people["reviewer"])).one()
    assert reviewer.post(f"/account/tokens/{other_id}/revoke").status_code == 404
    page = reviewer.get("/account").get_data(True)
    assert "my script" in page and f'data-token="{other_id}"' not in page
    assert reviewer.post(f"/account/tokens/{mine.id}/revoke").status_code == 303
    assert client.get("/api/v1/articles",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_the_scorer_page_retrains_on_the_desks_decisions(as_user, engine, people):
    from annotator.db import session_scope
    from annotator.models import User
    from annotator.services import articles, claims

    admin = as_user("admin")
    page = admin.get("/admin/scorer").get_data(True)
    assert "the shipped scorer" in page
    refused = admin.post("/admin/scorer", follow_redirects=True).get_data(True)
    assert "at least 20" in refused
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        # Several short articles: each import proposes only its most check-worthy few.
        for first in range(2, 66, 8):
            text = "\n\n".join(f"The council spent {n} million euros on project {n} in 2023."
                               for n in range(first, first + 8))
            article = articles.import_article(s, editor, articles.ImportRequest(text=text))
            for c in articles.article_claims(s, article.id):
                claims.transition(s, editor, c.id, "accept" if c.id % 2 else "dismiss")
    done = admin.post("/admin/scorer", follow_redirects=True).get_data(True)
    assert "Retrained on" in done and "this desk's retrained scorer" in done


def test_the_scorer_page_sets_the_proposal_threshold(admin, as_user, engine):
    from annotator.db import session_scope
    from annotator.services import settings

    assert 'name="threshold"' in admin.get("/admin/scorer").get_data(True)
    done = admin.post("/admin/scorer/threshold", data={"threshold": "0.7"},
                      follow_redirects=True).get_data(True)
    assert "0.7 or more" in done
    refused = admin.post("/admin/scorer/threshold", data={"threshold": "7"},
                         follow_redirects=True).get_data(True)
    assert "between 0 and 1" in refused
    assert as_user("editor").post("/admin/scorer/threshold",
                                  data={"threshold": "0.1"}).status_code == 403
    with session_scope(engine) as s:
        assert settings.propose_threshold(s) == 0.7


def test_a_refused_verdict_change_keeps_the_row_as_typed(as_user):
    admin = as_user("admin")
    response = admin.post("/admin/verdicts/mixed", data={
        "label": "", "colour": "#123456", "alternate_name": "Half and half",
        "rating_value": "3", "position": "3"})
    assert response.status_code == 400
    page = response.get_data(True)
    row = page.split('id="verdict-mixed"', 1)[1].split("</form>", 1)[0]
    assert 'value="Half and half"' in row and 'value="#123456"' in row
    after = page.split('id="verdict-mixed"', 1)[1].split("</form>", 1)[1]
    assert after.lstrip().startswith('<p class="field-error verdict-error" role="alert">'
                                     "A verdict needs a label.")


# -- paged lists ---------------------------------------------------------------------------


def _rows(page: str, attribute: str = "data-user") -> list[str]:
    return re.findall(rf'<tr {attribute}="([^"]+)"', page)


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def members(engine, people) -> list[str]:
    """Add 120 viewers, member-000 to member-119, named "Reporter 000" and so on."""
    names = [f"member-{i:03d}" for i in range(120)]
    with session_scope(engine) as session:
        for i, name in enumerate(names):
            session.add(User(username=name, role="viewer", display_name=f"Reporter {i:03d}"))
    return names


def test_the_users_list_pages_by_fifty_without_repeating_a_row(admin, members):
    first = admin.get("/admin/users?q=member").get_data(True)
    assert len(_rows(first)) == 50 and _link(first, "prev") is None
    second = admin.get(_link(first, "next")).get_data(True)
    assert len(_rows(second)) == 50 and _link(second, "prev") is not None
    third = admin.get(_link(second, "next")).get_data(True)
    assert len(_rows(third)) == 20 and _link(third, "next") is None
    seen = _rows(first) + _rows(second) + _rows(third)
    assert seen == members  # each once, in username order
    assert "q=member" in _link(second, "next") and "after=" in _link(second, "next")
    # ?page= alone (no cursor) reads the same page by offset.
    assert _rows(admin.get("/admin/users?q=member&page=3").get_data(True)) == _rows(third)


def test_the_whole_users_list_is_bounded_and_reaches_everyone(admin, members, people):
    seen, url = [], "/admin/users"
    while url:
        page = admin.get(url).get_data(True)
        assert 0 < len(_rows(page)) <= 50
        seen += _rows(page)
        url = _link(page, "next")
    assert len(seen) == len(set(seen)) == len(members) + len(people)
    assert f"{len(members) + len(people)} users" in admin.get("/admin/users").get_data(True)
    assert admin.get("/admin/users?per_page=100000&format=json").status_code == 400
    data = admin.get("/admin/users?per_page=200&format=json").get_json()
    assert data["per_page"] == 200 and len(data["items"]) == len(seen)


def test_the_users_filter_finds_names_by_their_start(admin, engine, members, people):
    def found(query: str) -> list[str]:
        return _rows(admin.get(f"/admin/users?{query}").get_data(True))

    assert found("q=member-01") == [f"member-01{i}" for i in range(10)]
    assert found("q=MEMBER-119") == ["member-119"]
    assert found("q=007") == ["member-007"]  # a word of the display name: "Reporter 007"
    assert found("q=edit") == ["editor", "editor2"]
    assert found("q=ember") == [] and found("q=%25") == [] and found("q=_") == []
    assert "No user matches." in admin.get("/admin/users?q=nobody").get_data(True)
    admin.post(f"/admin/users/{people['viewer']}/deactivate")
    assert found("status=deactivated") == ["viewer"]
    assert "viewer" not in found("status=active&q=v")
    # The search field swaps only the list: htmx gets the fragment, with the filter kept.
    fragment = admin.get("/admin/users?q=member", headers={"HX-Request": "true"}).get_data(True)
    assert fragment.lstrip().startswith("<section id=\"user-list\"") and "<html" not in fragment
    assert "q=member" in _link(fragment, "next")


def test_the_users_list_has_a_json_twin_in_the_list_shape(admin, members):
    data = admin.get("/admin/users?q=member&format=json").get_json()
    assert data["total"] == 120 and data["page"] == 1 and len(data["items"]) == 50
    assert "total_exact" not in data  # exact, so left out as on every other list
    assert set(data["items"][0]) == {"id", "username", "display_name", "role", "active"}
    rest = admin.get(f"/admin/users?q=member&format=json&page=2&after={data['next']}")
    more = rest.get_json()
    assert more["items"][0]["username"] == "member-050" and more["total"] == 120
    last = admin.get("/admin/users?q=member&format=json&page=3").get_json()
    assert len(last["items"]) == 20 and "next" not in last


@pytest.fixture
def many_tokens(engine, people) -> list[int]:
    """Give the editor 120 API tokens; return their ids, newest first."""
    with session_scope(engine) as session:
        made = [ApiToken(user_id=people["editor"], name=f"script {i}", token_hash=f"{i:064x}")
                for i in range(120)]
        session.add_all(made)
        session.flush()
        return sorted((t.id for t in made), reverse=True)


def test_the_tokens_lists_page_by_fifty_newest_first(admin, many_tokens, people):
    for start in ("/admin/tokens", f"/admin/users/{people['editor']}"):
        seen, url, sizes = [], start, []
        while url:
            page = admin.get(url).get_data(True)
            rows = [int(i) for i in _rows(page, "data-token")]
            sizes.append(len(rows))
            seen += rows
            url = _link(page, "next")
            assert url is None or url.startswith(start)
        assert sizes == [50, 50, 20], start
        assert seen == many_tokens, start
    third = admin.get("/admin/tokens?page=3").get_data(True)
    assert [int(i) for i in _rows(third, "data-token")] == many_tokens[100:]
    data = admin.get("/admin/tokens?format=json").get_json()
    assert data["total"] == 120 and len(data["items"]) == 50 and data["next"]
    assert data["items"][0]["id"] == many_tokens[0] and data["items"][0]["user"] == "editor"
    assert "token_hash" not in data["items"][0]


def test_a_token_is_made_for_a_username_picked_as_you_type(admin, as_user, people):
    admin.post(f"/admin/users/{people['editor2']}/deactivate")
    options = admin.get("/admin/pick/users?username=edi").get_data(True)
    assert 'value="editor"' in options and 'value="editor2"' not in options  # active only
    assert as_user("editor").get("/admin/pick/users?q=a").status_code == 403
    made = admin.post("/admin/tokens", data={"username": "Editor", "name": "CMS"})
    assert made.status_code == 201 and "CMS" in made.get_data(True)
    unknown = admin.post("/admin/tokens", data={"username": "nobody"})
    assert unknown.status_code == 400 and "No user called" in unknown.get_data(True)
    assert 'value="nobody"' in unknown.get_data(True)

"""Lists come a page at a time: bounded pages, cursors, capped totals, pickers, the queue."""

from __future__ import annotations

from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Note
from annotator.services import queries
from tests.search.conftest import make_article


def test_the_claims_list_pages_by_cursor_and_keeps_the_json_contract(as_user, engine, archive):
    editor = as_user("editor")
    first = editor.get("/claims?format=json&per_page=2&sort=-score").get_json()
    assert first["total"] == 4 and len(first["items"]) == 2 and first["sort"] == "-score"
    assert "total_exact" not in first and first["next"]
    second = editor.get(f"/claims?format=json&per_page=2&sort=-score&page=2"
                        f"&after={first['next']}").get_json()
    by_page = editor.get("/claims?format=json&per_page=2&sort=-score&page=2").get_json()
    assert [i["id"] for i in second["items"]] == [i["id"] for i in by_page["items"]]
    seen = [i["id"] for i in first["items"] + second["items"]]
    assert sorted(seen) == sorted(archive[k] for k in ("c1", "c2", "c3", "c4"))
    assert {"score", "state", "verdict", "assignee", "updated_at", "submitted_by"} <= set(
        first["items"][0])


def test_every_sort_column_orders_the_list_and_stays_in_the_links(as_user, archive):
    editor = as_user("editor")
    for key in queries.SORTS:
        for sort in (key, f"-{key}"):
            data = editor.get(f"/claims?format=json&sort={sort}").get_json()
            assert data["sort"] == sort and len(data["items"]) == 4
    page = editor.get("/claims?sort=-updated&state=open").get_data(True)
    assert 'aria-sort="descending"' in page and "sort=updated" in page
    # One typed parser: a bad value is a 400 naming the parameter, never a silent fallback.
    for bad, name in (("sort=nonsense", "sort"), ("page=x", "page"), ("per_page=-3", "per_page"),
                      ("page=%C2%B2", "page"), ("state=nope", "state")):
        answer = editor.get(f"/claims?{bad}", headers={"Accept": "application/json"})
        assert answer.status_code == 400, bad
        assert answer.get_json()["detail"].startswith(name), answer.get_json()


def test_a_forged_or_tampered_cursor_is_a_400_never_a_query(as_user, archive):
    editor = as_user("editor")
    json_ = {"Accept": "application/json"}
    first = editor.get("/claims?format=json&per_page=1&sort=-score").get_json()
    token = first["next"]
    assert editor.get(f"/claims?format=json&per_page=1&sort=-score&after={token}"
                      ).status_code == 200
    forged = [
        "%%%",
        # The old unsigned form: base64 of a JSON list, as a forger would write it.
        "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMCwgMV0",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # tampered signature
        "c1." + token.split(".", 1)[1][::-1],
        "c1." + "A" * 500,
    ]
    for bad in forged:
        answer = editor.get("/claims", query_string={"after": bad, "sort": "-score",
                                                     "format": "json"}, headers=json_)
        assert answer.status_code == 400, bad
        assert answer.get_json()["detail"].startswith("after")
    # A lone surrogate's UTF-8 bytes, and a NUL, as a hand-made URL would carry them.
    for raw in ("c1.%ED%A0%80", "%ED%A0%80", "c1.%00", "%C2%B2"):
        assert editor.get(f"/claims?format=json&sort=-score&after={raw}",
                          headers=json_).status_code == 400, raw
    # A real cursor of another sort or another list is refused too.
    assert editor.get(f"/claims?format=json&sort=updated&after={token}").status_code == 400
    assert editor.get(f"/?format=json&after={token}").status_code == 400
    assert editor.get("/pick/articles?q=" + "9" * 40).status_code == 200
    assert editor.get("/claims?article=" + "9" * 40, headers=json_).status_code == 400
    assert editor.get(f"/articles/{archive['a']}/activity?before=" + "9" * 40,
                      headers=json_).status_code == 400


def test_a_total_above_the_cap_is_a_lower_bound(as_user, archive, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    data = as_user("editor").get("/claims?format=json&per_page=1&state=open&q=budget"
                                 ).get_json()
    assert data["total"] == 2 and data["total_exact"] is False
    page = as_user("editor").get("/claims?per_page=1&q=budget").get_data(True)
    assert "2+" in page and 'rel="next"' in page


def test_search_results_show_highlighted_snippets(as_user, archive):
    page = as_user("editor").get("/claims?q=jobless").get_data(True)
    assert "<mark>jobless</mark>" in page
    data = as_user("editor").get("/claims?q=jobless&format=json").get_json()
    assert "<mark>jobless</mark>" in data["items"][0]["snippet"]


def test_the_article_picker_suggests_titles_as_you_type(as_user, archive):
    editor = as_user("editor")
    data = editor.get("/pick/articles?q=harb&format=json").get_json()
    assert data["items"] == [{"id": archive["b"], "title": "Harbour crane collapse"}]
    html = editor.get("/pick/articles?q=budget").get_data(True)
    assert f'<option value="{archive["a"]}">Budget week in Parliament</option>' in html
    assert editor.get("/pick/articles?q=%25&format=json").get_json()["items"] == []
    # htmx sends what is typed under the field's own name.
    assert "Harbour crane collapse" in editor.get("/pick/articles?article=crane").get_data(True)
    # A typed title filters the list without JavaScript.
    ids = {i["id"] for i in editor.get("/claims?article=harbour&format=json").get_json()[
        "items"]}
    assert ids == {archive["c4"]}


def test_the_people_picker_suggests_reviewers(as_user, archive):
    data = as_user("editor").get("/pick/people?q=reviewer&format=json").get_json()
    assert {i["username"] for i in data["items"]} == {"reviewer", "reviewer2"}


def test_the_articles_index_pages_and_counts(as_user, engine, people):
    with session_scope(engine) as s:
        for i in range(5):
            make_article(s, f"Article {i}", [f"Sentence {i} is here."])
    editor = as_user("editor")
    data = editor.get("/?format=json&per_page=2").get_json()
    assert data["total"] == 5 and [a["title"] for a in data["items"]] == ["Article 4",
                                                                          "Article 3"]
    assert data["items"][0]["claims"] == {"open": 1}
    rest = editor.get(f"/?format=json&per_page=2&page=2&after={data['next']}").get_json()
    assert [a["title"] for a in rest["items"]] == ["Article 2", "Article 1"]
    page = editor.get("/?per_page=2").get_data(True)
    assert 'rel="next"' in page and "Article 4" in page and "Article 2" not in page


def test_the_articles_address_typed_by_hand_leads_to_the_list_with_its_query(as_user, people):
    answer = as_user("editor").get("/articles?per_page=2&format=json")
    assert answer.status_code == 302
    assert answer.headers["Location"] in ("/?per_page=2&format=json", "/?format=json&per_page=2")
    assert as_user("editor").get("/articles", follow_redirects=True).status_code == 200


def test_the_api_article_list_has_a_cursor(as_user, engine, people):
    with session_scope(engine) as s:
        for i in range(3):
            make_article(s, f"Api {i}", [f"Sentence {i} is here."])
    from annotator.models import User
    from annotator.services import users
    with session_scope(engine) as s:
        _, secret = users.create_token(s, s.get(User, people["editor"]))
    client = as_user("viewer")
    headers = {"Authorization": f"Bearer {secret}"}
    first = client.get("/api/v1/articles?per_page=2", headers=headers).get_json()
    assert first["total"] == 3 and first["next"]
    rest = client.get(f"/api/v1/articles?per_page=2&after={first['next']}",
                      headers=headers).get_json()
    assert [a["title"] for a in rest["items"]] == ["Api 0"] and "next" not in rest


def test_queue_sections_show_ten_rows_and_link_to_all(as_user, engine, people):
    with session_scope(engine) as s:
        _, made = make_article(s, "Many", [f"Claim number {i} is long enough." for i in
                                           range(13)])
        for claim in made:
            claim.state, claim.assignee_id = "in_progress", people["reviewer"]
            s.add(claim)
    reviewer = as_user("reviewer")
    data = reviewer.get("/queue?format=json").get_json()
    assert len(data["assigned"]) == 10 and data["counts"]["assigned"] == 13
    page = reviewer.get("/queue").get_data(True)
    assert "/queue/assigned" in page and "See all 13" in page
    full = reviewer.get("/queue/assigned?format=json&per_page=5&page=3").get_json()
    assert full["total"] == 13 and len(full["items"]) == 3
    assert reviewer.get("/queue/nonsense").status_code == 404


def test_mentions_come_from_the_mention_table(as_user, engine, archive, people):
    as_user("editor").post(f"/claims/{archive['c1']}/notes",
                           data={"body": "@Reviewer2 and @reviewer2, see the budget"})
    with session_scope(engine, write=False) as s:
        note = s.exec(select(Note).order_by(Note.id.desc())).first()
        from annotator.models import Mention
        assert s.exec(select(Mention.user_id).where(Mention.note_id == note.id)).all() == [
            people["reviewer2"]]
    mine = as_user("reviewer2").get("/queue?format=json").get_json()
    assert [m["claim"] for m in mine["mentions"]] == [archive["c1"]]


def test_the_activity_feed_pages_backwards(as_user, engine, archive, people):
    from annotator.services import events
    with session_scope(engine) as s:
        for i in range(55):
            events.record(s, "note", actor=None, article_id=archive["a"],
                          claim_id=archive["c1"], new={"i": i})
    editor = as_user("editor")
    page = editor.get(f"/articles/{archive['a']}/activity").get_data(True)
    assert "Older activity" in page and page.count("<li>") == 50
    with session_scope(engine, write=False) as s:
        oldest_shown = sorted(e.id for e, _, _ in queries.article_activity(s, archive["a"]))[0]
    older = editor.get(f"/articles/{archive['a']}/activity?before={oldest_shown}"
                       ).get_data(True)
    assert "Older activity" not in older and older.count("<li>") == 5


def test_ranked_results_page_without_repeating(as_user, archive):
    editor = as_user("editor")
    pages = [editor.get(f"/claims?q=schools&per_page=1&page={n}&format=json").get_json()
             for n in (1, 2, 3)]
    ids = [p["items"][0]["id"] for p in pages[:2]]
    assert sorted(ids) == sorted([archive["c1"], archive["c3"]]) and pages[2]["items"] == []
    assert all(p["sort"] == "rank" and p["total"] == 2 for p in pages)



def test_a_phrase_counts_up_to_the_rank_window_and_says_so(as_user, engine, archive,
                                                         monkeypatch):
    # A phrase's count reads word positions, so it stops at the rank window, not COUNT_CAP.
    with session_scope(engine) as s:
        _, (older, newer) = make_article(s, "Tax week", ["The tax credit rose.",
                                                         "A tax credit for carers."])
        ids = older.id, newer.id
    monkeypatch.setattr(queries, "RANK_WINDOW", 1)
    data = as_user("editor").get('/claims?format=json&per_page=1&q="tax credit"').get_json()
    assert data["total"] == 1 and data["total_exact"] is False
    assert [i["id"] for i in data["items"]] == [ids[1]]  # beyond the window: newest first
    assert "1+" in as_user("editor").get('/claims?per_page=1&q="tax credit"').get_data(True)



def test_words_held_by_too_many_claims_still_find_their_matches(as_user, engine, archive,
                                                                monkeypatch):
    # "tax" and "credit" are each in two claims, together in one. With a cap of one claim
    # both are too common to score by (SQLite); the match still comes, unscored.
    with session_scope(engine) as s:
        _, (both, _tax, _credit) = make_article(s, "Money week", [
            "The tax credit rose.", "The tax rise was small.", "Credit card debts grew."])
        wanted = both.id
    monkeypatch.setattr(queries, "COUNT_CAP", 1)
    data = as_user("editor").get("/claims?format=json&q=tax+credit").get_json()
    assert [i["id"] for i in data["items"]] == [wanted]
    assert data["total"] == 1 and "total_exact" not in data and data["sort"] == "rank"

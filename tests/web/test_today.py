"""/today and /feeds in the browser's HTML and JSON: grouped rows, filters, bulk triage."""

from __future__ import annotations

from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, Feed, User
from annotator.services import feeds, polling, users
from tests.services.test_feeds import LOCAL, feed_site, rss, story  # noqa: F401 - fixture


def _two_feeds_one_story(engine, people, site) -> tuple[int, int]:
    site.page("/a/story-1", story(1, "Gazette"))
    site.page("/b/copy", story(1, "Courier", variant="rewrite"))
    site.page("/b/other", story(4, "Courier"))
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        a = feeds.add_feed(s, editor, site.feed("/a.xml", rss(site.base, [("/a/story-1", "S")])),
                           "Gazette", "en").id
        b = feeds.add_feed(s, editor, site.feed("/b.xml", rss(
            site.base, [("/b/copy", "S"), ("/b/other", "O")])), "Courier", "en").id
    polling.poll_feeds(engine, [a, b], LOCAL)
    return a, b


def test_the_same_story_from_two_feeds_is_one_row_of_today(engine, people, as_user,
                                                           feed_site):  # noqa: F811
    a, b = _two_feeds_one_story(engine, people, feed_site)
    editor = as_user("editor")
    body = editor.get("/today?format=json").get_json()
    items = body["items"]
    assert body["total"] == len(items) > 0
    assert [i["claim"]["score"] for i in items] == sorted(
        (i["claim"]["score"] for i in items), reverse=True)
    crime = [i for i in items if "crime dropped by 21" in i["claim"]["quote"]]
    assert len(crime) == 1
    row = crime[0]
    assert row["outlets"] == 2 and sorted(row["outlet_names"]) == ["Courier", "Gazette"]
    assert isinstance(row["group"], int) and row["checked_before"] is False
    assert len(row["claims"]) == 2 and row["claims"][0] == row["claim"]["id"]
    page = editor.get("/today").get_data(as_text=True)
    assert "2 outlets" in page and "crime dropped by 21" in page
    # Filters: one feed, one outlet, a minimum score.
    only_b = editor.get(f"/today?format=json&feed={b}").get_json()["items"]
    assert all(i["article"]["feed_id"] == b for i in only_b)
    assert {i["outlets"] for i in editor.get(
        "/today?format=json&outlet=Gazette").get_json()["items"]} == {1}
    top = items[0]["claim"]["score"]
    best = editor.get(f"/today?format=json&min_score={top}").get_json()["items"]
    assert best and {i["claim"]["score"] for i in best} == {top}
    assert len(best) == sum(1 for i in items if i["claim"]["score"] >= top) < len(items)
    assert editor.get("/today?format=json&checked=yes").get_json()["items"] == []


def test_bad_filters_are_a_400_not_a_500(as_user):
    editor = as_user("editor")
    for query in ("since=yesterday", "min_score=2", "min_score=nan", "feed=abc",
                  "checked=maybe", "outlet=%00"):
        assert editor.get(f"/today?{query}").status_code == 400, query


def test_bulk_accept_and_assign_go_through_the_workflow(engine, people, as_user,
                                                         feed_site):  # noqa: F811
    _two_feeds_one_story(engine, people, feed_site)
    editor = as_user("editor")
    items = editor.get("/today?format=json").get_json()["items"]
    crime = next(i for i in items if i["outlets"] == 2)
    rest = next(i for i in items if i is not crime)
    joined = ",".join(map(str, crime["claims"]))
    viewer = as_user("viewer")
    assert viewer.post("/today/act", data={"action": "accept", "claim": joined}
                       ).status_code == 403
    done = editor.post("/today/act", data={"action": "assign", "claim": [joined],
                                           "assignee": str(people["reviewer"])})
    assert done.status_code == 303
    reviewer = as_user("reviewer")
    assert reviewer.post("/today/act", data={
        "action": "dismiss", "claim": ",".join(map(str, rest["claims"]))}).status_code == 303
    with session_scope(engine, write=False) as s:
        lead = s.get(Claim, crime["claims"][0])
        copy = s.get(Claim, crime["claims"][1])
        assert (lead.state, lead.assignee_id) == ("open", people["reviewer"])
        assert copy.state == "dismissed"
        assert {s.get(Claim, i).state for i in rest["claims"]} == {"dismissed"}
    left = {i["claim"]["id"] for i in editor.get("/today?format=json").get_json()["items"]}
    assert crime["claim"]["id"] not in left and rest["claim"]["id"] not in left
    # A reviewer may not assign; the refusal is flashed, nothing changes.
    third = next(iter(left))
    refused = reviewer.post("/today/act", data={"action": "assign", "claim": str(third),
                                                "assignee": str(people["reviewer"])},
                            follow_redirects=True)
    assert "Only an editor" in refused.get_data(as_text=True)
    with session_scope(engine, write=False) as s:
        assert s.get(Claim, third).state == "proposed"


def test_the_new_since_you_last_looked_marker(engine, people, as_user, feed_site):  # noqa: F811
    editor = as_user("editor")
    assert "first look" in editor.get("/today").get_data(as_text=True)
    _two_feeds_one_story(engine, people, feed_site)
    page = editor.get("/today").get_data(as_text=True)
    assert "since you last looked" in page and 'class="badge new-since">new<' in page
    body = editor.get("/today?format=json&seen=2999-01-01T00:00:00Z").get_json()
    assert not any(i["new"] for i in body["items"])
    # Looking again moves the marker: nothing is new any more.
    editor.get("/today")
    assert 'class="badge new-since">new<' not in editor.get("/today").get_data(as_text=True)


def test_the_api_lists_today_in_the_list_shape(engine, people, client, feed_site):  # noqa: F811
    _two_feeds_one_story(engine, people, feed_site)
    with session_scope(engine) as s:
        _, secret = users.create_token(s, s.get(User, people["viewer"]))
    auth = {"Authorization": f"Bearer {secret}"}
    body = client.get("/api/v1/today?since=2000-01-01T00:00:00Z", headers=auth).get_json()
    assert body["total"] >= 2 and body["items"]
    for item in body["items"]:
        assert {"claim", "outlets", "group", "checked_before"} <= set(item)
        assert item["claim"]["state"] == "proposed"
    assert any(i["outlets"] == 2 for i in body["items"])
    later = client.get("/api/v1/today?since=2999-01-01", headers=auth).get_json()
    assert (later["items"], later["total"]) == ([], 0)
    assert client.get("/api/v1/today?since=nope", headers=auth).status_code == 400
    assert client.get("/api/v1/today").status_code == 401


def test_editors_add_feeds_on_the_feed_page_and_viewers_only_read(engine, as_user,
                                                                   people, feed_site):  # noqa: F811
    editor = as_user("editor")
    added = editor.post("/feeds", data={"url": feed_site.base + "/missing.xml",
                                        "outlet": "Gazette", "language": "en"})
    assert added.status_code == 303 and feed_site.requests == []  # adding never polls
    again = editor.post("/feeds", data={"url": feed_site.base + "/missing.xml",
                                        "outlet": "Gazette"})
    assert again.status_code == 409 and "there already" in again.get_data(as_text=True)
    assert editor.post("/feeds", data={"url": "javascript:x", "outlet": "X"}).status_code == 400
    viewer = as_user("viewer")
    assert viewer.post("/feeds", data={"url": "https://x.example/f", "outlet": "X"}
                       ).status_code == 403
    with session_scope(engine, write=False) as s:
        feed_id = s.exec(select(Feed.id)).one()
    polling.poll_feeds(engine, [feed_id], LOCAL)  # the site answers 404
    listed = viewer.get("/feeds?format=json").get_json()["items"]
    assert listed[0]["status"] == "error" and "404" in listed[0]["error"]
    page = viewer.get(f"/feeds/{feed_id}").get_data(as_text=True)
    assert "404" in page and "Switch off" not in page
    assert "Switch off" in editor.get(f"/feeds/{feed_id}").get_data(as_text=True)
    off = editor.post(f"/feeds/{feed_id}/active", data={"on": "0", "version": "1"})
    assert off.status_code == 303
    assert viewer.get(f"/feeds/{feed_id}?format=json").get_json()["active"] is False

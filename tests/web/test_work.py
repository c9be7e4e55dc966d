"""Finding work: filters and search with shareable URLs, bulk assign, the queue, live updates."""

from __future__ import annotations

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, User
from annotator.services import articles, claims
from annotator.services.events import latest_event_id

TEXT = ("The port handled 3.1 million containers in 2024.\n\n"
        "Mayor Ana Silva said the new crane cost 8 million euros.\n\n"
        "Officials said 40 ships were delayed in March.")


@pytest.fixture
def ids(engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        article = articles.import_article(s, editor, articles.ImportRequest(text=TEXT))
        out = []
        for needle in ("The port", "Mayor Ana", "Officials"):
            start = TEXT.index(needle)
            out.append(claims.create_claim(s, editor, article.id, start,
                                           TEXT.index(".", start) + 1).id)
        return {"article": article.id, "claims": out}


def test_the_claims_list_filters_by_text_state_and_assignee(as_user, ids, people, engine):
    client = as_user("editor")
    page = client.get("/claims?q=crane").get_data(True)
    # The match is marked in the statement's snippet.
    assert "said the new <mark>crane</mark> cost" in page and "Officials said" not in page
    found = {c["id"] for c in client.get("/claims?q=CRANE+euros&format=json").get_json()[
        "items"]}
    assert ids["claims"][1] in found and not found & {ids["claims"][0], ids["claims"][2]}
    client.post(f"/claims/{ids['claims'][0]}/transitions",
                data={"action": "assign", "assignee": people["reviewer"]})
    data = client.get("/claims?assignee=reviewer&format=json").get_json()
    assert [c["id"] for c in data["items"]] == [ids["claims"][0]]
    # Assigning is not starting: the assigned claim is still open.
    data = client.get("/claims?state=open&format=json").get_json()
    assert {c["id"] for c in data["items"]} == set(ids["claims"])
    assert client.get("/claims?state=in_progress&format=json").get_json()["items"] == []
    assert {c["state"] for c in client.get("/claims?state=proposed&format=json").get_json()[
        "items"]} == {"proposed"}
    assert client.get("/claims?q=%25&format=json").get_json()["total"] == 0


def test_bulk_assign_from_the_list(as_user, ids, people, engine):
    client = as_user("editor")
    response = client.post("/claims/bulk-assign", data={
        "claim": ids["claims"], "assignee": [people["reviewer"], people["reviewer2"]],
        "back": "/claims?state=open"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/claims?state=open"
    with session_scope(engine) as s:
        assignees = [c.assignee_id for c in s.exec(
            select(Claim).where(Claim.origin == "person").order_by(Claim.start)).all()]
    assert assignees == [people["reviewer"], people["reviewer2"], people["reviewer"]]
    assert as_user("reviewer").post("/claims/bulk-assign", data={
        "claim": ids["claims"], "assignee": [people["reviewer"]]}).status_code == 403


def test_the_queue_shows_assigned_returned_waiting_and_mentions(as_user, ids, people, engine):
    editor, reviewer = as_user("editor"), as_user("reviewer")
    first, second, third = ids["claims"]
    for cid in (first, second):
        editor.post(f"/claims/{cid}/transitions",
                    data={"action": "assign", "assignee": people["reviewer"]})
    with session_scope(engine) as s:
        me = s.get(User, people["reviewer"])
        assert s.get(Claim, first).state == "open"  # assigned, not yet started
        claims.transition(s, me, first, "start")
        claims.transition(s, me, second, "start")
        claims.update_claim(s, me, first, s.get(Claim, first).version,
                            {"verdict": "not_a_claim", "conclusion": "Opinion of the port."})
        claims.transition(s, me, first, "submit")
        claims.transition(s, s.get(User, people["editor"]), first, "request_changes",
                          comment="Add the port's own figure")
        claims.update_claim(s, me, second, s.get(Claim, second).version,
                            {"verdict": "opinion", "conclusion": "A judgement."})
        claims.transition(s, me, second, "submit")
    editor.post(f"/claims/{third}/notes", data={"body": "@reviewer can you look at this?"})
    mine = reviewer.get("/queue?format=json").get_json()
    assert [c["id"] for c in mine["returned"]] == [first]
    assert mine["assigned"] == []
    assert [m["claim"] for m in mine["mentions"]] == [third]
    waiting = editor.get("/queue?format=json").get_json()["waiting_approval"]
    assert [c["id"] for c in waiting] == [second]
    assert mine["returned"][0]["comment"] == "Add the port's own figure"
    page = reviewer.get("/queue").get_data(True)
    assert "Returned to me" in page and "can you look at this?" in page
    assert "Add the port&#39;s own figure" in page  # the editor's comment, in the queue
    assert "Waiting for my approval" not in page  # a reviewer cannot approve


def test_live_polls_answer_204_until_something_changes(as_user, ids, engine):
    viewer, editor = as_user("viewer"), as_user("editor")
    claim_id = ids["claims"][0]
    with session_scope(engine) as s:
        since = latest_event_id(s, claim_id=claim_id)
        article_since = latest_event_id(s, article_id=ids["article"])
    headers = {"HX-Request": "true"}
    assert viewer.get(f"/claims/{claim_id}/live?since={since}", headers=headers
                      ).status_code == 204
    editor.post(f"/claims/{claim_id}/notes", data={"body": "New evidence"})
    changed = viewer.get(f"/claims/{claim_id}/live?since={since}", headers=headers)
    # The panel is never swapped under the reader: a notice names who did what.
    assert changed.status_code == 200 and changed.headers["HX-Retarget"] == "#claim-live"
    assert "Editor</strong> added a note just now" in changed.get_data(True)
    assert "New evidence" not in changed.get_data(True)
    assert "unsaved text is kept" not in changed.get_data(True)
    dirty = viewer.get(f"/claims/{claim_id}/live?since={since}&dirty=1", headers=headers)
    assert dirty.headers["HX-Retarget"] == "#claim-live"
    assert "Editor</strong> added a note just now" in dirty.get_data(True)
    assert "unsaved text is kept" in dirty.get_data(True)
    article = viewer.get(f"/articles/{ids['article']}/live?since={article_since}",
                         headers=headers).get_data(True)
    assert f'id="claim-item-{claim_id}"' in article and 'hx-swap-oob="true"' in article


def test_the_activity_feed_lists_what_happened(as_user, ids):
    editor = as_user("editor")
    editor.post(f"/claims/{ids['claims'][1]}/notes", data={"body": "Checked the minutes"})
    page = editor.get(f"/articles/{ids['article']}/activity").get_data(True)
    assert "note" in page and "import" in page and "Mayor Ana Silva" in page


def test_bulk_assign_can_take_every_claim_matching_the_filter(as_user, ids, people, engine):
    client = as_user("editor")
    response = client.post("/claims/bulk-assign", data={
        "scope": "filter", "q": "said", "assignee_filter": "", "state": "open",
        "assignee": [people["reviewer2"]], "back": "/claims?q=said"})
    assert response.status_code == 303
    with session_scope(engine) as s:
        rows = s.exec(select(Claim).where(Claim.origin == "person")).all()
        assigned = {c.id for c in rows if c.assignee_id == people["reviewer2"]}
    # "said" is in the mayor's and the officials' sentences, not the port's.
    assert assigned == {ids["claims"][1], ids["claims"][2]}

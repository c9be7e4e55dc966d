"""The morning list: proposals since a time, one row per claim across outlets, best first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from annotator.db import session_scope
from annotator.models import Claim, Event, MatchMark, User, utcnow
from annotator.services import articles, stories, today
from annotator.services.errors import Forbidden, Invalid

STORY = ("The council of Riverton spent 4.2 million pounds on road repairs in 2025, officials "
         "said, up 12 percent on the year before. Unemployment in Riverton fell to 5 percent "
         "last year, the lowest rate since 2008, according to the statistics office. The mayor "
         "claimed that crime dropped by 21 percent after the street lighting scheme began.")
OTHER = ("Lakeside's harbour handled 3.1 million containers in 2024, the port authority said, "
         "up 9 percent. The ferry company carried 812,000 passengers last year, its annual "
         "report shows, a record for the islands route.")


def _import(s, editor, text: str, outlet: str, language: str = "en"):
    article = articles.import_article(s, editor, articles.ImportRequest(
        text=text, outlet=outlet, language=language, title=outlet))
    stories.group_article(s, article)
    return article


@pytest.fixture
def desk(engine, people):
    """Three outlets carry the Riverton story (one with a small rewrite); one has another."""
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        a = _import(s, editor, STORY, "Gazette")
        b = _import(s, editor, STORY.replace("officials said", "officials told reporters"),
                    "Courier")
        c = _import(s, editor, STORY.replace("The mayor", "Riverton's mayor"), "Post")
        d = _import(s, editor, OTHER, "Harbour News", "en")
        return {"a": a.id, "b": b.id, "c": c.id, "d": d.id}


def _list(engine, **given):
    with session_scope(engine, write=False) as s:
        flt = today.TodayFilter(since=given.pop("since", utcnow() - timedelta(hours=1)),
                                **given)
        found = today.morning_list(s, flt)
        found.rows = today.load_page(s, found.rows)
        return found


def test_the_same_claim_from_several_outlets_is_one_row_ranked_by_score(engine, desk):
    found = _list(engine)
    assert found.exact and found.total == len(found.rows)
    scores = [r.lead.score for r in found.rows]
    assert scores == sorted(scores, reverse=True)
    crime = [r for r in found.rows if "crime" in r.lead.quote]
    assert len(crime) == 1  # three articles, one row
    assert sorted(crime[0].outlets) == ["Courier", "Gazette", "Post"]
    assert {a.id for a in crime[0].articles} == {desk["a"], desk["b"], desk["c"]}
    assert crime[0].group is not None
    harbour = [r for r in found.rows if "containers" in r.lead.quote]
    assert len(harbour) == 1 and harbour[0].outlets == ["Harbour News"]
    assert harbour[0].group != crime[0].group


def test_the_filters_narrow_the_list(engine, desk):
    every = _list(engine)
    assert {o for r in _list(engine, outlet="Harbour News").rows for o in r.outlets} == {
        "Harbour News"}
    assert _list(engine, language="fr").rows == []
    assert _list(engine, since=utcnow() + timedelta(minutes=1)).rows == []
    top = max(r.lead.score for r in every.rows)
    assert [r.lead.score for r in _list(engine, min_score=top).rows] == [top]
    lead = every.rows[-1].lead
    with session_scope(engine) as s:
        s.add(MatchMark(claim_id=lead.id, matches=2, best_kind="external", best_label="x",
                        probability=0.9))
    checked = _list(engine, checked="yes").rows
    assert [r.lead.id for r in checked] == [lead.id] and checked[0].checked_before
    assert lead.id not in {r.lead.id for r in _list(engine, checked="no").rows}


def test_held_back_and_handled_claims_are_not_listed(engine, desk, people):
    with session_scope(engine) as s:
        held, handled = s.exec(select(Claim).where(Claim.article_id == desk["d"])
                               .order_by(Claim.id)).all()[:2]
        held.state = "held_back"  # as the proposal budget stores a held-back sentence
        s.add(held)
        held_id, handled_id = held.id, handled.id
    with session_scope(engine) as s:
        today.act(s, s.get(User, people["reviewer"]), "dismiss", [[handled_id]])
    listed = {c.id for r in _list(engine).rows for c in r.claims}
    assert held_id not in listed and handled_id not in listed
    with session_scope(engine, write=False) as s:
        shown = s.exec(select(Claim).where(Claim.id.in_(listed))).all()
    assert shown and {c.state for c in shown} == {"proposed"}


def test_accept_takes_the_lead_and_dismisses_the_copies_with_a_reason(engine, desk, people):
    row = next(r for r in _list(engine).rows if "crime" in r.lead.quote)
    ids = [c.id for c in row.claims]
    with session_scope(engine) as s:
        done = today.act(s, s.get(User, people["reviewer"]), "accept", [ids])
    assert done == {"rows": 1, "skipped": 0}
    with session_scope(engine, write=False) as s:
        states = [s.get(Claim, i).state for i in ids]
        comments = s.exec(select(Event.comment).where(Event.claim_id == ids[1])).all()
    assert states == ["open", "dismissed", "dismissed"]
    assert any(f"#{ids[0]}" in c for c in comments)
    assert all(ids[0] != r.lead.id for r in _list(engine).rows)
    # Acting again on the same row skips it: its lead is no longer proposed.
    with session_scope(engine) as s:
        assert today.act(s, s.get(User, people["reviewer"]), "accept", [ids])["skipped"] == 1


def test_assign_needs_an_editor_and_dismiss_dismisses_every_copy(engine, desk, people):
    rows = _list(engine).rows
    first, second = [c.id for c in rows[0].claims], [c.id for c in rows[1].claims]
    with pytest.raises(Forbidden), session_scope(engine) as s:
        today.act(s, s.get(User, people["reviewer"]), "assign", [first],
                  assignee_id=people["reviewer2"])
    with session_scope(engine) as s:
        today.act(s, s.get(User, people["editor"]), "assign", [first],
                  assignee_id=people["reviewer2"])
        today.act(s, s.get(User, people["editor"]), "dismiss", [second])
    with session_scope(engine, write=False) as s:
        lead = s.get(Claim, first[0])
        assert (lead.state, lead.assignee_id) == ("open", people["reviewer2"])
        assert {s.get(Claim, i).state for i in second} == {"dismissed"}
    with pytest.raises(Invalid), session_scope(engine) as s:
        today.act(s, s.get(User, people["editor"]), "approve", [first])


@pytest.mark.parametrize(("given", "expected"), [
    ("2026-12-06", datetime(2026, 12, 6, tzinfo=UTC)),
    ("2026-12-06T06:30:00Z", datetime(2026, 12, 6, 6, 30, tzinfo=UTC)),
    ("2026-12-06T07:30:00+01:00", datetime(2026, 12, 6, 6, 30, tzinfo=UTC))])
def test_since_reads_iso_dates_and_times(given, expected):
    assert today.parse_since(given) == expected


def test_since_refuses_what_is_not_a_time_and_defaults_to_a_day():
    with pytest.raises(Invalid):
        today.parse_since("yesterday")
    now = utcnow()
    assert today.parse_since("", now) == now - timedelta(hours=24)


def test_the_last_look_is_remembered_per_person(engine, people):
    with session_scope(engine) as s:
        me = s.get(User, people["editor"])
        assert today.last_seen(s, me) is None
        when = utcnow() - timedelta(minutes=5)
        today.mark_seen(s, me, when)
    with session_scope(engine, write=False) as s:
        assert today.last_seen(s, s.get(User, people["editor"])) == when
        assert today.last_seen(s, s.get(User, people["reviewer"])) is None

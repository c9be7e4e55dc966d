"""The export's compiled presenters give exactly what the generic path gives."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import create_engine, literal, select

from annotator.models import NotePublic
from annotator.presenters import iso, present, present_all

TIMES = ["2026-05-01 12:00:00.000000", "2026-05-01 12:00:00.123456",
         "2026-05-01 12:00:00", "2026-05-01 12:00:00.000000+00:00", "2026-05-01",
         None]


@pytest.mark.parametrize("stored", TIMES)
def test_a_stored_time_reads_the_same_on_the_fast_path(stored):
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        rows = conn.execute(select(literal(7).label("id"), literal("A note").label("body"),
                                   literal(None).label("author_id"),
                                   literal(stored).label("created_at"))).all()
    fast = present_all(NotePublic, rows, lambda _id: None)
    slow = present(NotePublic, rows[0], lambda _id: None)
    assert fast == [slow]
    assert fast[0]["created_at"] == iso(stored)


def test_times_are_iso_8601_in_utc():
    assert iso("2026-05-01 12:00:00.000000") == "2026-05-01T12:00:00Z"
    assert iso("2026-05-01 12:00:00.123456") == "2026-05-01T12:00:00.123456Z"
    assert iso(datetime(2026, 5, 1, 12, tzinfo=UTC)) == "2026-05-01T12:00:00Z"
    assert iso(datetime(2026, 5, 1, 12, 0, 0, 5, tzinfo=UTC)) == "2026-05-01T12:00:00.000005Z"
    assert iso(datetime(2026, 5, 1, 12)) == "2026-05-01T12:00:00Z"
    later = datetime.fromisoformat("2026-05-01T14:30:00+02:00")
    assert iso(later) == "2026-05-01T12:30:00Z"
    assert iso(None) is None


def test_raw_json_goes_out_as_stored_and_reads_back_the_same():
    from annotator.models import EventPublic

    engine = create_engine("sqlite://")
    stored = '{"state": "open", "note": "a \\"quoted\\" word", "n": [1, 2.5, null]}'
    with engine.connect() as conn:
        rows = conn.execute(select(
            literal(3).label("id"), literal("edit").label("action"),
            literal(None).label("actor_id"), literal(stored).label("old"),
            literal(None).label("new"), literal("").label("comment"),
            literal("2026-05-01 12:00:00.000000").label("created_at"))).all()
    raw = present_all(EventPublic, rows, lambda _id: None, raw_json=True)
    parsed = present_all(EventPublic, rows, lambda _id: None)
    assert orjson.loads(orjson.dumps(raw)) == orjson.loads(orjson.dumps(parsed))
    assert parsed[0]["old"]["note"] == 'a "quoted" word' and raw[0]["new"] is None

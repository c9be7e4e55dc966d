"""The JSON import: a round trip loses nothing, people get no secrets, all or nothing."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlmodel import func, select

from annotator.db import get_engine, new_session, session_scope
from annotator.exports import export_json
from annotator.models import Article, Claim, User
from annotator.services import users
from annotator.services.errors import Duplicate, Invalid
from annotator.services.json_import import import_json

# Regenerated on every export; everything else must survive export -> import -> export.
REGENERATED = ("exported_at",)


@pytest.fixture
def empty_engine(tmp_path, migrated_template):
    path = tmp_path / "other.db"
    shutil.copy(migrated_template, path)
    engine = get_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _export(engine) -> dict:
    with new_session(engine) as session:
        return json.loads("".join(export_json(session)))


def _strip(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in REGENERATED}


def test_export_import_export_gives_the_same_document(engine, work, empty_engine):
    first = _export(engine)
    with session_scope(empty_engine) as session:
        report = import_json(session, json.dumps(first))
    assert report.articles == 1 and report.claims == work.claim_count
    assert report.renumbered == []
    second = _export(empty_engine)
    assert _strip(second) == _strip(first)


def test_imported_people_cannot_sign_in_until_given_a_password(engine, work, empty_engine):
    with session_scope(empty_engine) as session:
        report = import_json(session, json.dumps(_export(engine)))
    assert "reviewer" in report.people_created
    with new_session(empty_engine) as session:
        reviewer = users.user_by_name(session, "reviewer")
        assert reviewer.active and reviewer.role == "reviewer"
        assert not users.check_password(reviewer, "correct-horse-battery")
        assert users.authenticate(session, "reviewer", "") is None


def test_importing_into_a_busy_database_renumbers_and_refuses_duplicates(engine, work,
                                                                          empty_engine):
    doc = _export(engine)
    with session_scope(empty_engine) as session:
        import_json(session, json.dumps(doc))
    with session_scope(empty_engine) as session, pytest.raises(Duplicate):
        import_json(session, json.dumps(doc))
    # The same article with another body is new: its ids are taken, so new ones are given.
    doc["articles"][0]["body"] += " Postscript."
    doc["articles"][0]["content_hash"] = ""
    with session_scope(empty_engine) as session:
        report = import_json(session, json.dumps(doc))
    assert "articles" in report.renumbered and "claims" in report.renumbered
    with new_session(empty_engine) as session:
        assert session.exec(select(func.count()).select_from(Article)).one() == 2
        assert session.exec(select(func.count()).select_from(Claim)).one() == \
            2 * work.claim_count


def test_a_broken_file_leaves_nothing_behind(engine, work, empty_engine):
    doc = _export(engine)
    doc["articles"][0]["claims"][-1]["verdict"] = "no-such-verdict"
    with pytest.raises(Invalid, match="no-such-verdict"), session_scope(empty_engine) as s:
        import_json(s, json.dumps(doc))
    with new_session(empty_engine) as session:
        assert session.exec(select(func.count()).select_from(Article)).one() == 0
        assert session.exec(select(func.count()).select_from(User)).one() == 0


@pytest.mark.parametrize("text, message", [
    ("not json", "not JSON"),
    ("[]", "not an annotator export"),
    ('{"schema_version": "1"}', "does not match its schema"),
])
def test_it_refuses_what_is_not_an_export(empty_engine, text, message):
    with pytest.raises(Invalid, match=message), session_scope(empty_engine) as session:
        import_json(session, text)

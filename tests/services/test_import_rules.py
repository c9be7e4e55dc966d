"""A JSON import acts with the importer's rights and refuses bad values before writing."""

from __future__ import annotations

import copy
import json
import os

import pytest
from sqlmodel import func, select

from annotator.db import get_engine, new_session, session_scope
from annotator.exports import export_json
from annotator.models import Article, Claim, Event, User, Verdict
from annotator.services import articles, claims, events
from annotator.services.errors import Forbidden, Invalid
from annotator.services.json_import import import_json

BODY = "The mayor said the bridge cost 40 million euros. It opened in 2019 after delays."
QUOTE = "the bridge cost 40 million euros"
PERSON = {"username": "reviewer", "display_name": "Reviewer", "role": "reviewer"}


def _doc(**claim_changes) -> dict:
    start = BODY.index(QUOTE)
    claim = {"id": 7, "start": start, "end": start + len(QUOTE), "quote": QUOTE,
             "prefix": BODY[:start], "suffix": BODY[start + len(QUOTE):][:32],
             "statement": QUOTE, "score": 0.5, "reasons": [], "origin": "person",
             "state": "in_progress", "verdict": "false", "conclusion": "It cost 52 million.",
             "assignee": PERSON, "submitted_by": None, "approved_by": None,
             "approved_at": None, "sources": [], "notes": [], "history": []}
    claim.update(claim_changes)
    return {"schema_version": "1", "exported_at": "2026-05-01T00:00:00Z",
            "generator": "annotator test",
            "articles": [{"id": 3, "title": "Bridge", "url": "https://news.example/b",
                          "outlet": "", "byline": "", "published": None, "language": "en",
                          "body": BODY, "claims": [claim]}]}


def test_an_editors_import_never_changes_the_verdict_scale(engine, people):
    doc = _doc()
    doc["verdict_scale"] = [
        {"key": "false", "label": "Totally TRUE", "colour": "#00ff00", "alternate_name": "",
         "rating_value": 5, "needs_source": False},
        {"key": "zz{}body{background:url(/x)}.a", "label": "x", "colour": "#000000",
         "alternate_name": "", "rating_value": None, "needs_source": True}]
    with session_scope(engine) as s:
        report = import_json(s, json.dumps(doc), actor=s.get(User, people["editor"]))
        assert report.scale_kept and report.verdicts == 0
        assert "left as it is" in report.summary()
    with new_session(engine) as s:
        false = s.get(Verdict, "false")
        assert false.label != "Totally TRUE" and false.needs_source
        assert s.get(Verdict, "zz{}body{background:url(/x)}.a") is None


def test_an_editors_import_refuses_a_verdict_that_is_not_on_the_scale(engine, people):
    with pytest.raises(Invalid, match="not on this desk's verdict scale"), \
            session_scope(engine) as s:
        import_json(s, json.dumps(_doc(verdict="totally_true")),
                    actor=s.get(User, people["editor"]))


@pytest.mark.parametrize("key", ["zz{}body{background:url(/x)}.a", "a/b", "A", "x" * 33,
                                 "false\n", ""])
def test_an_admin_imports_only_valid_verdict_keys(engine, people, key):
    doc = _doc()
    doc["verdict_scale"] = [{"key": key, "label": "x", "colour": "#000000",
                             "alternate_name": "", "rating_value": None,
                             "needs_source": True}]
    with pytest.raises(Invalid), session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=s.get(User, people["admin"]))
    with new_session(engine) as s:
        assert s.get(Verdict, key) is None


def test_an_editors_import_never_creates_accounts(engine, people):
    doc = _doc(assignee={"username": "newcomer", "display_name": "N", "role": "reviewer"})
    doc["people"] = [{"username": "boss", "display_name": "Boss", "role": "admin",
                      "active": True}]
    with pytest.raises(Forbidden, match="'boss', 'newcomer'.*Only an admin"), \
            session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=s.get(User, people["editor"]))
    with new_session(engine) as s:
        assert s.exec(select(User).where(User.username.in_(["boss", "newcomer"]))).all() == []


def test_people_are_matched_case_insensitively(engine, people):
    doc = _doc(assignee={"username": "REVIEWER", "display_name": "R", "role": "admin"})
    with session_scope(engine) as s:
        report = import_json(s, json.dumps(doc), actor=s.get(User, people["editor"]))
        assert report.people_created == []
    with new_session(engine) as s:
        claim = s.exec(select(Claim)).one()
        assert claim.assignee_id == people["reviewer"]
        assert s.get(User, people["reviewer"]).role == "reviewer"


@pytest.mark.parametrize("username", ["editor1\n", "a b", "x", "é" * 3, "../etc"])
def test_an_admin_imports_only_valid_usernames(engine, people, username):
    doc = _doc(assignee={"username": username, "display_name": "N", "role": "reviewer"})
    with pytest.raises(Invalid, match="invalid username"), session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=s.get(User, people["admin"]))


def test_the_operator_imports_accounts_and_roles_as_an_admin(engine, people):
    doc = _doc(assignee={"username": "chief", "display_name": "Chief", "role": "admin"})
    with session_scope(engine) as s:
        report = import_json(s, json.dumps(doc))
        assert report.people_created == ["chief"]


def test_the_cli_acts_as_the_named_user(engine, people, tmp_path, database_url, monkeypatch):
    from click.testing import CliRunner

    from annotator.cli import main
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(_doc(assignee={"username": "chief", "display_name": "C",
                                              "role": "admin"})))
    runner = CliRunner()
    result = runner.invoke(main, ["import-json", str(path), "--as", "editor"])
    assert result.exit_code != 0 and "Only an admin may import accounts" in result.output
    result = runner.invoke(main, ["import-json", str(path)])
    assert result.exit_code == 0, result.output
    assert "chief" in result.output


@pytest.mark.parametrize("url", ["javascript:alert(1)", "java\tscript:alert(1)",
                                 "javascript\n:alert(1)", "\x01javascript:alert(1)",
                                 " javascript:alert(1)", " https://news.example/b",
                                 "https://news.example/b\n", "data:text/html,x"])
def test_article_addresses_must_be_plain_http(engine, people, url):
    doc = _doc()
    doc["articles"][0]["url"] = url
    with pytest.raises(Invalid, match="http"), session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=s.get(User, people["editor"]))


BAD_CLAIMS = [
    ({"id": 2**63}, "whole number"),
    ({"id": 2**31}, "whole number"),
    ({"version": 2**63}, "whole number"),
    ({"start": 2**63, "end": 2**63 + 5}, "whole number"),
    ({"start": 20, "end": 10}, "ends before it starts"),
    ({"start": 0, "end": len(BODY) + 10, "quote": BODY}, "past the end"),
    ({"quote": "the bridge cost 41 million euros"}, "quote is not"),
    ({"approved_at": "not a date"}, "not a valid date"),
    ({"approved_at": "2026-13-45T00:00:00Z"}, "not a valid date"),
    ({"approved_at": "0001-01-01T00:00:00+14:00"}, "date"),
    ({"conclusion": "nul \x00 byte"}, "NUL"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_CLAIMS)
def test_bad_values_are_refused_before_anything_is_written(engine, people, changes, message):
    with pytest.raises(Invalid, match=message), session_scope(engine) as s:
        import_json(s, json.dumps(_doc(**changes)), actor=s.get(User, people["editor"]))
    with new_session(engine) as s:
        assert s.exec(select(func.count()).select_from(Article)).one() == 0


def test_duplicate_ids_and_huge_ratings_are_refused(engine, people):
    doc = _doc()
    doc["articles"][0]["claims"].append(copy.deepcopy(doc["articles"][0]["claims"][0]))
    with pytest.raises(Invalid, match="two claims with the id 7"), session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=s.get(User, people["admin"]))
    doc = _doc()
    doc["verdict_scale"] = [{"key": "false", "label": "False", "colour": "#000000",
                             "alternate_name": "", "rating_value": 10**20,
                             "needs_source": True}]
    with pytest.raises(Invalid, match="rating value"), session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=s.get(User, people["admin"]))


def test_a_deeply_nested_document_is_refused_without_recursing(engine, people):
    deep = '{"schema_version": "1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(Invalid, match="nests deeper"), session_scope(engine) as s:
        import_json(s, deep, actor=s.get(User, people["editor"]))


def test_the_api_answers_a_deep_document_with_a_4xx(client, engine, people):
    from annotator.services import users
    with session_scope(engine) as s:
        _, token = users.create_token(s, s.get(User, people["editor"]))
    response = client.post("/api/v1/imports/json", data="[" * 100_000,
                           headers={"Authorization": f"Bearer {token}",
                                    "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500


# -- the round trip -----------------------------------------------------------------------

TEXTS = ["The port handled 3.1 million containers in 2024, up 12 percent on the year.",
         "Unemployment fell to 4.2 percent in March, the lowest since 2008, officials said."]


def test_an_export_with_interleaved_histories_imports_into_an_empty_database(
        engine, people, fresh_database):
    with session_scope(engine) as s:
        editor, reviewer = s.get(User, people["editor"]), s.get(User, people["reviewer"])
        made = []
        for text in TEXTS:
            article = articles.import_article(s, editor, articles.ImportRequest(text=text))
            made.append(claims.create_claim(s, editor, article.id, 0, 30).id)
        for claim_id in made:
            claims.transition(s, reviewer, claim_id, "start")
        for round_ in range(3):  # edits alternate between the two articles' claims
            for claim_id in made:
                claims.update_claim(s, reviewer, claim_id, s.get(Claim, claim_id).version,
                                    {"conclusion": f"Checked, round {round_}."})
    with new_session(engine) as s:
        document = "".join(export_json(s))
    kind = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith(
        "postgresql") else "sqlite"
    other = get_engine(fresh_database(kind))
    with session_scope(other) as s:
        report = import_json(s, document)
        assert report.articles == 2 and report.renumbered == []
    with session_scope(other) as s:
        # The database hands out fresh ids after the imported ones (PostgreSQL sequences).
        imported = s.exec(select(func.max(Event.id))).one()
        events.record(s, "note", actor=None, new={"after": "import"})
    with new_session(other) as s:
        assert s.exec(select(func.max(Event.id))).one() == imported + 1
        assert s.exec(select(func.count()).select_from(Event).where(
            Event.action == "import_json")).one() == 2


def test_a_failed_import_job_says_a_sentence_never_sql(engine, people, monkeypatch, caplog):
    from sqlalchemy.exc import IntegrityError

    from annotator.models import Job
    from annotator.services import jobs, json_import

    def broken(*args, **kwargs):
        raise IntegrityError("INSERT INTO event (id) VALUES (?)", (7,),
                             Exception("UNIQUE constraint failed: event.id"))

    # The job store runs the importer json_import registered with it (jobs.importer).
    assert jobs._IMPORTERS["json"] is json_import.import_json
    monkeypatch.setitem(jobs._IMPORTERS, "json", broken)
    with session_scope(engine) as s:
        job = jobs.create_import_job(s, s.get(User, people["editor"]), "x.json", b"{}")
        job_id = job.id
    jobs.run_import_job(engine, job_id)
    with new_session(engine) as s:
        job = s.get(Job, job_id)
        assert job.status == "failed"
        assert "unexpected error" in job.error
        for leak in ("INSERT", "UNIQUE", "event.id", "VALUES"):
            assert leak not in job.error

"""Recorded authorship (issue 19): four eyes reads what each action was seen to change.

Each event's ``fields`` names the published fields its action changed, worked out in the one
write path (``services.events.record``) by comparing the claim and its sources before and
after, never from the keys of its payload. These tests replay the attacks that fooled the
old rule (a link, a split, an import) and check the record on every kind of write.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from annotator.db import new_session, session_scope
from annotator.exports import export_json
from annotator.models import Claim, Event, ExternalFactCheck, MatchCandidate, User
from annotator.services import articles, blind, claims, matching, spans
from annotator.services.errors import Forbidden
from annotator.services.json_import import import_json

TEXT = ("The minister said unemployment fell by a third last year. Ridership on the new "
        "line doubled in six months. Officials declined to comment on Friday.")
SOURCE = {"url": "https://stats.example/r", "stance": "refutes"}


def _u(s, people, name) -> User:
    return s.get(User, people[name])


@pytest.fixture
def desk(engine, people):
    """An article with two adjacent person-made claims, both started by the reviewer."""
    with session_scope(engine) as s:
        admin = _u(s, people, "admin")
        article = articles.import_article(s, admin, articles.ImportRequest(text=TEXT))
        for c in articles.article_claims(s, article.id):
            claims.transition(s, admin, c.id, "dismiss")
        ids = []
        for needle in ("The minister", "Ridership"):
            start = TEXT.index(needle)
            ids.append(claims.create_claim(s, admin, article.id, start,
                                           TEXT.index(".", start) + 1).id)
        for claim_id in ids:
            claims.transition(s, _u(s, people, "reviewer"), claim_id, "start")
        return {"article": article.id, "claims": ids}


def _fill(engine, people, claim_id, who="reviewer"):
    """Give the claim a verdict, a conclusion and a source, as ``who``."""
    with session_scope(engine) as s:
        user = _u(s, people, who)
        claim = s.get(Claim, claim_id)
        claims.update_claim(s, user, claim_id, claim.version,
                            {"verdict": "false", "conclusion": "It rose."})
        claims.add_source(s, user, claim_id, SOURCE)


def _act(engine, people, who, claim_id, action, **kw):
    with session_scope(engine) as s:
        return claims.transition(s, _u(s, people, who), claim_id, action, **kw).state


def _fields(engine, claim_id) -> list[tuple[str, list[str]]]:
    with new_session(engine) as s:
        return [(e.action, e.fields) for e in s.exec(
            select(Event).where(Event.claim_id == claim_id).order_by(Event.id)).all()]


def test_each_write_records_exactly_the_published_fields_it_changed(engine, people, desk):
    claim_id = desk["claims"][0]
    _fill(engine, people, claim_id)
    with session_scope(engine) as s:
        reviewer = _u(s, people, "reviewer")
        claim = s.get(Claim, claim_id)
        # Saving the same verdict again changes nothing, whatever the payload says.
        claims.update_claim(s, reviewer, claim_id, claim.version, {"verdict": "false"})
        claims.update_claim(s, reviewer, claim_id, claim.version, {"claimant": "The minister"})
        source = claims.add_source(s, reviewer, claim_id, {**SOURCE, "url": "https://b.example"})
        claims.update_source(s, reviewer, claim_id, source.id,
                             {**SOURCE, "url": "https://c.example"})
        claims.remove_source(s, reviewer, claim_id, source.id)
        claims.add_note(s, reviewer, claim_id, "statement verdict conclusion")
    recorded = _fields(engine, claim_id)
    assert recorded == [
        ("create", []), ("start", []), ("edit", ["verdict", "conclusion"]),
        ("add_source", ["sources"]), ("edit", ["claimant"]), ("add_source", ["sources"]),
        ("edit_source", ["sources"]), ("remove_source", ["sources"]), ("note", [])]


def test_a_link_is_not_a_write_so_the_verdicts_writer_still_cannot_approve(
        engine, people, desk):
    claim_id, earlier = desk["claims"]
    _fill(engine, people, earlier)
    _act(engine, people, "reviewer", earlier, "submit")
    _act(engine, people, "admin", earlier, "approve")
    _fill(engine, people, claim_id)
    with session_scope(engine) as s:
        claim = s.get(Claim, claim_id)
        claims.update_claim(s, _u(s, people, "editor2"), claim_id, claim.version,
                            {"verdict": "mostly_false"})
    _act(engine, people, "reviewer", claim_id, "submit")
    with pytest.raises(Forbidden, match="wrote part"), session_scope(engine) as s:
        claims.transition(s, _u(s, people, "editor2"), claim_id, "approve")
    with session_scope(engine) as s:
        matching.link_match(s, _u(s, people, "reviewer"), claim_id, "desk", earlier)
    assert _fields(engine, claim_id)[-1] == ("link_match", [])
    with pytest.raises(Forbidden, match="wrote part"), session_scope(engine) as s:
        claims.transition(s, _u(s, people, "editor2"), claim_id, "approve")
    assert _act(engine, people, "editor", claim_id, "approve") == "approved"


def test_a_split_writes_the_statement_so_the_splitter_cannot_approve(engine, people, desk):
    claim_id = desk["claims"][0]
    _fill(engine, people, claim_id)
    _act(engine, people, "reviewer", claim_id, "submit")
    with session_scope(engine) as s:
        claim = s.get(Claim, claim_id)
        spans.split(s, _u(s, people, "editor2"), claim_id, TEXT.index(" by a third"),
                    claim.version)
    assert ("split", ["statement"]) in _fields(engine, claim_id)
    with pytest.raises(Forbidden, match="Another editor must approve"), \
            session_scope(engine) as s:
        claims.transition(s, _u(s, people, "editor2"), claim_id, "approve")
    assert _act(engine, people, "editor", claim_id, "approve") == "approved"


def test_a_merge_writes_the_statement_and_sources_so_the_merger_cannot_approve(
        engine, people, desk):
    first, second = desk["claims"]
    _fill(engine, people, first)
    _fill(engine, people, second)
    _act(engine, people, "reviewer", first, "submit")
    with session_scope(engine) as s:
        claim = s.get(Claim, first)
        spans.merge(s, _u(s, people, "editor2"), first, second, claim.version)
    assert ("merge", ["statement", "sources"]) in _fields(engine, first)
    with pytest.raises(Forbidden), session_scope(engine) as s:
        claims.transition(s, _u(s, people, "editor2"), first, "approve")
    assert _act(engine, people, "editor", first, "approve") == "approved"


def test_removing_a_source_in_review_makes_the_remover_a_writer(engine, people, desk):
    claim_id = desk["claims"][0]
    _fill(engine, people, claim_id)
    with session_scope(engine) as s:
        claims.add_source(s, _u(s, people, "reviewer"), claim_id,
                          {**SOURCE, "url": "https://b.example"})
    _act(engine, people, "reviewer", claim_id, "submit")
    with session_scope(engine) as s:
        source = s.get(Claim, claim_id)
        first = s.exec(select(Event).where(Event.claim_id == claim_id,
                                           Event.action == "add_source")).first()
        claims.remove_source(s, _u(s, people, "editor2"), claim_id, first.new["id"])
        assert source is not None
    with pytest.raises(Forbidden), session_scope(engine) as s:
        claims.transition(s, _u(s, people, "editor2"), claim_id, "approve")


def test_a_reanchor_and_a_blind_verdict_record_no_published_field(engine, people, desk):
    claim_id = desk["claims"][0]
    _fill(engine, people, claim_id)
    with session_scope(engine) as s:
        admin = _u(s, people, "admin")
        blind.set_article_blind(s, admin, desk["article"], True)
        article = articles.get_article(s, desk["article"])
        spans.correct_body(s, admin, desk["article"], "Breaking. " + TEXT, article.version)
    _act(engine, people, "reviewer", claim_id, "submit")
    with session_scope(engine) as s:
        blind.record(s, _u(s, people, "reviewer2"), claim_id, "true", "I think so.")
    recorded = dict(_fields(engine, claim_id))
    assert recorded["reanchor"] == [] and recorded["blind_verdict"] == []


def _exported(engine) -> dict:
    with new_session(engine) as s:
        return json.loads("".join(export_json(s)))


def test_the_export_carries_each_events_fields(engine, people, desk):
    _fill(engine, people, desk["claims"][0])
    doc = _exported(engine)
    history = {c["id"]: c["history"] for a in doc["articles"] for c in a["claims"]}
    edit = next(e for e in history[desk["claims"][0]] if e["action"] == "edit")
    assert edit["fields"] == ["verdict", "conclusion"] and edit["imported"] is False


def _forged(engine, people, desk) -> dict:
    """An export in which the importer's own claim says it was approved by the admin."""
    claim_id = desk["claims"][0]
    _fill(engine, people, claim_id, who="editor")
    doc = _exported(engine)
    article = doc["articles"][0]
    claim = next(c for c in article["claims"] if c["id"] == claim_id)
    editor = {"username": "editor", "display_name": "Editor", "role": "editor"}
    admin = {"username": "admin", "display_name": "Admin", "role": "admin"}
    claim.update(state="approved", submitted_by=editor, approved_by=admin,
                 approved_at="2026-05-01T00:00:00Z")
    claim["history"].append({"action": "approve", "actor": admin,
                             "at": "2026-05-01T00:00:00Z", "old": {"state": "in_review"},
                             "new": {"state": "approved"}, "comment": "",
                             "fields": ["statement", "verdict"]})
    article["claims"] = [claim]
    return doc


def _empty_desk(engine, people):
    """Remove the article so the forged file imports as new."""
    with session_scope(engine) as s:
        for e in s.exec(select(Event)).all():
            s.delete(e)
        s.flush()
        from annotator.models import Article, Note, Source
        for model in (Source, Note, MatchCandidate, Claim, Article):
            for row in s.exec(select(model)).all():
                s.delete(row)
            s.flush()


def test_an_editors_import_never_manufactures_an_approval(engine, people, desk):
    doc = _forged(engine, people, desk)
    _empty_desk(engine, people)
    with session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=_u(s, people, "editor"))
    with new_session(engine) as s:
        (claim,) = s.exec(select(Claim)).all()
        assert claim.state == "in_review"
        assert claim.submitted_by_id == people["editor"] and claim.approved_by_id is None
        assert s.exec(select(MatchCandidate)).first() is None
        history = s.exec(select(Event).where(Event.claim_id == claim.id)
                         .order_by(Event.id)).all()
        assert all(e.imported for e in history if e.action != "import_claim")
        own = [e for e in history if e.action == "import_claim"]
        assert [(e.actor_id, e.fields) for e in own] == [
            (people["editor"], ["verdict", "conclusion", "sources"])]
        claim_id = claim.id
    with pytest.raises(Forbidden, match="you submitted"), session_scope(engine) as s:
        claims.transition(s, _u(s, people, "editor"), claim_id, "approve")
    # Another editor approves it here: only then is it "checked before" material.
    assert _act(engine, people, "editor2", claim_id, "approve") == "approved"
    with new_session(engine) as s:
        assert s.exec(select(MatchCandidate).where(
            MatchCandidate.ref_id == claim_id)).first() is not None


def test_the_api_import_by_an_editor_answers_201_with_the_claim_in_review(
        app, engine, people, desk):
    doc = _forged(engine, people, desk)
    _empty_desk(engine, people)
    from annotator.services import users
    with session_scope(engine) as s:
        _, secret = users.create_token(s, _u(s, people, "editor"))
    client = app.test_client()
    response = client.post("/api/v1/imports/json", json=doc,
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201, response.get_data(as_text=True)
    with new_session(engine) as s:
        (claim,) = s.exec(select(Claim)).all()
        assert claim.state == "in_review"
    assert client.get(f"/api/v1/claims/{claim.id}/claimreview",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 404


def test_an_admin_restoring_a_backup_keeps_its_approvals(engine, people, desk):
    doc = _forged(engine, people, desk)
    _empty_desk(engine, people)
    with session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=_u(s, people, "admin"))
    with new_session(engine) as s:
        (claim,) = s.exec(select(Claim)).all()
        assert claim.state == "approved" and claim.approved_by_id == people["admin"]
        assert s.exec(select(MatchCandidate).where(
            MatchCandidate.ref_id == claim.id)).first() is not None
        assert not any(e.imported for e in s.exec(select(Event)).all())


def test_an_older_file_whose_events_carry_no_fields_is_accepted(engine, people, desk):
    doc = _forged(engine, people, desk)
    for claim in doc["articles"][0]["claims"]:
        for event in claim["history"]:
            event.pop("fields", None)
            event.pop("imported", None)
    _empty_desk(engine, people)
    with session_scope(engine) as s:
        report = import_json(s, json.dumps(doc), actor=_u(s, people, "editor"))
        assert report.claims == 1
    with new_session(engine) as s:
        assert all(e.fields == [] for e in s.exec(select(Event)).all()
                   if e.action != "import_claim")


def test_an_editors_import_carrying_external_factchecks_is_refused(engine, people, desk):
    doc = _forged(engine, people, desk)
    _empty_desk(engine, people)
    doc["external_factchecks"] = [{"identifier": "", "url": "https://other.example/fc",
                                   "claim_reviewed": "x", "rating": "True",
                                   "publisher": "Other", "published": None}]
    with pytest.raises(Forbidden, match="Only an admin may import other outlets"), \
            session_scope(engine) as s:
        import_json(s, json.dumps(doc), actor=_u(s, people, "editor"))
    with new_session(engine) as s:
        assert s.exec(select(ExternalFactCheck)).first() is None
        assert s.exec(select(Claim)).first() is None


def test_the_cli_import_as_an_editor_never_approves_and_the_operator_restores(
        engine, people, desk, tmp_path, database_url, monkeypatch):
    from click.testing import CliRunner

    from annotator.cli import main

    doc = _forged(engine, people, desk)
    _empty_desk(engine, people)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path / "instance"))
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(main, ["import-json", str(path), "--as", "editor"])
    assert result.exit_code == 0, result.output
    with new_session(engine) as s:
        (claim,) = s.exec(select(Claim)).all()
        assert claim.state == "in_review" and claim.approved_by_id is None
    _empty_desk(engine, people)
    result = CliRunner().invoke(main, ["import-json", str(path)])
    assert result.exit_code == 0, result.output
    with new_session(engine) as s:
        (claim,) = s.exec(select(Claim)).all()
        assert claim.state == "approved" and claim.approved_by_id == people["admin"]


def test_the_web_import_by_an_editor_brings_claims_in_review(as_user, engine, people, desk):
    doc = _forged(engine, people, desk)
    _empty_desk(engine, people)
    import io

    response = as_user("editor").post("/imports/json", data={
        "file": (io.BytesIO(json.dumps(doc).encode()), "desk.json")},
        content_type="multipart/form-data")
    assert response.status_code in (200, 201, 303), response.get_data(as_text=True)[:300]
    with new_session(engine) as s:
        (claim,) = s.exec(select(Claim)).all()
        assert claim.state == "in_review" and claim.submitted_by_id == people["editor"]

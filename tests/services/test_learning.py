"""Learning from the desk: decisions become examples, retraining is stored and used."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from annotator.db import session_scope
from annotator.models import Article, Claim, User
from annotator.services import articles, claims, learning, settings
from annotator.services.errors import Forbidden, Invalid

# A desk that keeps claims about money and dismisses claims about the weather.
MONEY = [f"The council spent {n} million euros on the {w} project in 2023."
         for n, w in zip(range(2, 14), ("bridge", "school", "park", "tram", "road", "port",
                                        "museum", "clinic", "library", "stadium", "harbour",
                                        "station"), strict=False)]
WEATHER = [f"It was a {w} day in the city and people enjoyed the {x}."
           for w, x in zip(("sunny", "rainy", "windy", "grey", "warm", "cold", "bright",
                            "misty", "calm", "stormy", "humid", "clear"),
                           ("sun", "rain", "wind", "clouds", "heat", "frost", "light", "mist",
                            "calm", "storm", "air", "sky"), strict=False)]


@pytest.fixture
def desk(engine, people):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        text = "\n\n".join(MONEY + WEATHER)
        article = articles.import_article(s, editor, articles.ImportRequest(text=text))
        for c in articles.article_claims(s, article.id):
            claims.transition(s, editor, c.id, "dismiss")
        for sentence in MONEY + WEATHER:
            start = text.index(sentence)
            claim = claims.create_claim(s, editor, article.id, start, start + len(sentence))
            if sentence in WEATHER:
                s.get(Claim, claim.id).origin = "machine"
                claims.transition(s, editor, claim.id, "dismiss")
        return article.id


def test_decisions_label_accepted_added_and_dismissed_claims(engine, desk):
    with session_scope(engine) as s:
        rows = learning.decisions(s)
    labels = {q: y for _, q, y in rows}
    assert all(labels[m] == 1 for m in MONEY)
    assert all(labels[w] == 0 for w in WEATHER)


def test_retraining_is_stored_measured_and_used_by_the_next_import(engine, people, desk):
    with session_scope(engine) as s:
        report = learning.retrain_desk(s, s.get(User, people["admin"]))
    assert report.examples >= 24 and report.held_out >= 1
    with session_scope(engine) as s:
        stored = settings.get(s, settings.SCORER_WEIGHTS)
        assert stored["retrained_on"] == report.examples
        editor = s.get(User, people["editor"])
        article = articles.import_article(s, editor, articles.ImportRequest(
            text="The council spent 15 million euros on the ferry project in 2024.\n\n"
                 "It was a snowy day in the city and people enjoyed the snow."))
        by_quote = {c.quote: c.score for c in articles.article_claims(s, article.id)}
    assert by_quote.get("The council spent 15 million euros on the ferry project in 2024.", 0
                        ) > by_quote.get("It was a snowy day in the city and people enjoyed "
                                         "the snow.", 0)


def test_retraining_recalibrates_the_desks_threshold(engine, people, desk):
    with session_scope(engine) as s:
        report = learning.retrain_desk(s, s.get(User, people["admin"]))
        assert report.threshold_before == pytest.approx(learning.score.PROPOSE_THRESHOLD)
        assert report.threshold_after is not None and 0.05 <= report.threshold_after <= 0.95
        assert settings.propose_threshold(s) == report.threshold_after
        assert settings.get(s, settings.SCORER_WEIGHTS)["recalibrated"]
        event = learning.last_retrain(s)
        assert event.new["threshold_after"] == report.threshold_after


def test_retraining_writes_the_weights_first_so_they_are_encoded_before_the_write_lock(
        engine, people, desk):
    """A transaction takes SQLite's write lock at its first write (issue 19). The weights'
    600 KB of JSON are encoded just before their own statement runs: if that statement came
    after another write, the encoding would run while every other writer waits."""
    writes = []

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append((statement, repr(parameters)))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(engine) as s:  # its commit flushes what is left
            report = learning.retrain_desk(s, s.get(User, people["admin"]))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert report.threshold_after is not None  # the threshold is written too, afterwards
    assert len(writes) >= 3  # the weights, the threshold, the event
    first, parameters = writes[0]
    assert "setting" in first.lower() and settings.SCORER_WEIGHTS in parameters
    assert not any(settings.SCORER_WEIGHTS in p for _, p in writes[1:])
    assert any(settings.PROPOSE_THRESHOLD in p for _, p in writes[1:])


def test_sentences_held_back_by_the_budget_are_no_decision(engine, people):
    text = "\n\n".join(MONEY + WEATHER)
    with session_scope(engine) as s:
        article = articles.import_article(s, s.get(User, people["editor"]),
                                          articles.ImportRequest(text=text))
        held = articles.below_budget_claims(s, article.id)
        assert held
        decided = {cid for cid, _, _ in learning.decisions(s)}
        assert decided.isdisjoint(c.id for c in held)
        assert learning.decision_count(s) == len(decided) == 0


def test_the_decision_count_is_the_number_of_decisions(engine, people, desk):
    with session_scope(engine) as s:
        editor = s.get(User, people["editor"])
        # A person's claim, dismissed: no decision about the machine's proposals.
        body = s.get(Article, desk).body
        start = body.index(MONEY[0])
        own = claims.create_claim(s, editor, desk, start, start + len(MONEY[0]) - 1)
        claims.transition(s, editor, own.id, "dismiss")
        rows = learning.decisions(s)
        assert own.id not in {cid for cid, _, _ in rows}
        assert learning.decision_count(s) == len(rows) >= 24


def test_the_best_threshold_separates_kept_from_dismissed():
    assert learning.best_threshold([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0]) == 0.8
    assert learning.best_threshold([0.99, 0.01], [1, 0]) == 0.95


def test_retraining_needs_an_admin_and_enough_decisions(engine, people, desk):
    with session_scope(engine) as s:
        with pytest.raises(Forbidden):
            learning.retrain_desk(s, s.get(User, people["editor"]))
        with pytest.raises(Invalid, match="at least 1000"):
            learning.retrain_desk(s, None, min_examples=1000)


def test_average_precision_of_a_known_ranking():
    assert learning.average_precision([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]) == pytest.approx(
        (1 / 1 + 2 / 3) / 2)
    assert learning.average_precision([0.5], [0]) is None

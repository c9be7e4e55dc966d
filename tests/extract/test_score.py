"""Check-worthiness scoring: ranges, reasons, weights override, retraining."""

import json

from annotator.extract import PROPOSE_THRESHOLD, score_sentence, score_texts
from annotator.extract.score import WEIGHTS_FILE, load_weights
from annotator.extract.train import retrain, save

CLAIM = "Unemployment fell to 4.1 percent in March, the lowest rate since 2001, the ministry said."


def test_it_scores_every_text_between_zero_and_one():
    scores = score_texts([CLAIM, "Thank you.", "What do you think?", ""])
    assert len(scores) == 4
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_a_factual_claim_outscores_a_question_an_opinion_and_a_greeting():
    claim = score_sentence(CLAIM).score
    for other in (
        "What are we going to do about it?",
        "I think that is wonderful.",
        "Good evening and welcome.",
    ):
        assert claim > score_sentence(other).score


def test_it_gives_readable_reasons_for_a_claim():
    scored = score_sentence(CLAIM)
    assert scored.score >= PROPOSE_THRESHOLD
    assert "has a number" in scored.reasons
    assert "attribution (said/told)" in scored.reasons
    assert "has a date" in scored.reasons


def test_it_explains_why_a_question_scores_low():
    scored = score_sentence("Do you really believe that?")
    assert scored.score < PROPOSE_THRESHOLD
    assert "a question" in scored.reasons


def test_it_uses_neighbouring_sentences_as_context():
    alone = score_sentence("That number is 12 million.").score
    after_question = score_sentence("That number is 12 million.", previous="How many?").score
    assert alone != after_question


def test_the_shipped_weights_file_is_small_and_calibrated():
    assert WEIGHTS_FILE.stat().st_size < 2_000_000
    doc = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert doc["weights"] and "offset" in doc


def test_an_environment_variable_overrides_the_weights(tmp_path, monkeypatch):
    path = tmp_path / "w.json"
    save({"weights": {"bias": 5.0}, "offset": 0.0}, path)
    monkeypatch.setenv("ANNOTATOR_SCORER_WEIGHTS", str(path))
    assert score_texts(["anything at all"])[0] > 0.99


def test_retraining_on_desk_decisions_moves_scores_towards_them():
    base = load_weights()
    accepted = "The regional football league expanded its season to forty matches."
    dismissed = "The mayor unveiled a statue of 3 cats in the park on Monday."
    examples = [(accepted, 1), (dismissed, 0)] * 5
    doc = retrain(base, examples)
    before = [score_sentence(accepted).score, score_sentence(dismissed).score]
    from annotator.extract.score import score_many

    after = [s.score for s in (score_many([accepted], doc)[0], score_many([dismissed], doc)[0])]
    assert after[0] > before[0]
    assert after[1] < before[1]
    assert retrain(base, []) is base


def test_the_shipped_scorer_is_plain_json_that_loads_fast():
    import time

    from annotator.extract.score import _Model

    t0 = time.process_time()  # CPU time: the machine is shared
    doc = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    _Model(doc)
    assert time.process_time() - t0 < 0.5
    assert doc["format"] == "annotator-scorer/2"
    assert "claimbuster-2.5ncs" in doc["trained_on"] and len(doc["trained_on"]) == 20
    assert not any(key.startswith("src:") for key in doc["weights"])


def test_the_default_threshold_is_the_one_training_calibrated():
    doc = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert doc["threshold"] == PROPOSE_THRESHOLD

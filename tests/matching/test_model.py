"""The re-ranker: features, the shipped weights, training and calibration."""

from __future__ import annotations

from annotator.matching import load_model
from annotator.matching.features import NAMES, Candidate, Query
from annotator.matching.model import feature_rows
from annotator.matching.train import calibrate, train


def _candidates():
    return [
        Candidate("external", 1, "Six activists were conscripted into the army in Kazakhstan",
                  score=10.0, field_scores=(9.0, 1.0, 0.0)),
        Candidate("external", 2, "The moon landing was filmed in a studio", score=2.0,
                  field_scores=(2.0, 0.0, 0.0)),
    ]


def test_every_candidate_gets_one_value_per_feature():
    rows = feature_rows(Query("Kazakhstan conscripted six activists"), _candidates())
    assert [len(r) for r in rows] == [len(NAMES)] * 2
    assert rows[0][NAMES.index("numbers_agree")] == 1.0
    assert rows[0][NAMES.index("query_covered")] > rows[1][NAMES.index("query_covered")]


def test_the_shipped_model_prefers_the_same_claim_and_scores_it_as_a_probability():
    ranked = load_model().rerank(Query("Kazakhstan conscripted six activists"), _candidates())
    assert ranked[0][1].ref_id == 1
    assert 0.0 < ranked[1][0] < ranked[0][0] < 1.0


def test_training_learns_a_separating_weight_and_a_threshold_between_the_classes():
    rows = [[1.0, x / 10] for x in range(10)]
    labels = [0] * 5 + [1] * 5
    model = train(rows, labels, l2=0.1)
    assert model.weights[1] > 0
    assert model.probability([1.0, 0.9]) > model.threshold > model.probability([1.0, 0.1])


def test_calibration_keeps_precision_above_the_target():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    labels = [1, 1, 1, 0, 0, 0]
    assert calibrate(scores, labels, precision=0.8) == 0.7

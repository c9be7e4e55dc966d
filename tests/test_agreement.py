import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.agreement import (
    PairAgreement,
    cohens_kappa,
    pairwise_agreement,
    percent_agreement,
)


def table(cells):
    """Expand {(label_a, label_b): count} into a list of pairs."""
    return [pair for pair, count in cells.items() for _ in range(count)]


# Wikipedia's worked example for Cohen's kappa: 50 proposals, two readers.
WIKIPEDIA = table({("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15})

# Three categories, 20 items, worked by hand:
#
#   A \ B   true false mixed | A total
#   true       6     1     1 |  8
#   false      1     5     0 |  6
#   mixed      1     1     4 |  6
#   B total    8     7     5 | 20
#
#   po = (6 + 5 + 4) / 20                   = 15/20  = 0.75
#   pe = (8*8 + 6*7 + 6*5) / 20**2          = 136/400 = 0.34
#   kappa = (0.75 - 0.34) / (1 - 0.34)      = 0.41/0.66 = 41/66 ~ 0.6212
THREE_WAY = table(
    {
        ("true", "true"): 6,
        ("true", "false"): 1,
        ("true", "mixed"): 1,
        ("false", "true"): 1,
        ("false", "false"): 5,
        ("mixed", "true"): 1,
        ("mixed", "false"): 1,
        ("mixed", "mixed"): 4,
    }
)


def test_it_matches_the_wikipedia_worked_example():
    assert len(WIKIPEDIA) == 50
    assert percent_agreement(WIKIPEDIA) == pytest.approx(0.7)
    assert cohens_kappa(WIKIPEDIA) == pytest.approx(0.4)


def test_it_matches_a_three_category_example_worked_by_hand():
    assert percent_agreement(THREE_WAY) == pytest.approx(0.75)
    assert cohens_kappa(THREE_WAY) == pytest.approx(41 / 66)


def test_it_ignores_scale_labels_that_nobody_used():
    scale = ["true", "false", "mixed", "opinion", "unproven"]
    assert cohens_kappa(THREE_WAY, labels=scale) == pytest.approx(41 / 66)


def test_it_refuses_a_label_that_is_not_on_the_scale():
    with pytest.raises(ValueError, match="not on the scale"):
        cohens_kappa([("true", "flase")], labels=["true", "false"])


@pytest.mark.parametrize("measure", [percent_agreement, cohens_kappa])
def test_it_refuses_to_measure_agreement_over_nothing(measure):
    with pytest.raises(ValueError, match="at least one pair"):
        measure([])


@pytest.mark.parametrize(
    ("pairs", "kappa"),
    [
        ([("a", "a"), ("b", "b")], 1.0),
        ([("a", "b"), ("b", "a")], -1.0),
        # Independent raters: po = 0.5, pe = 0.5.
        ([("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")], 0.0),
        # Degenerate: pe == 1 because both raters used only "a"; defined as 1.0.
        ([("a", "a")] * 5, 1.0),
        # One rater used a single label: pe = 0.5 * 1 = 0.5, po = 0.5 -> 0.
        ([("a", "a"), ("b", "a")], 0.0),
    ],
)
def test_it_gives_kappa_its_textbook_values_at_the_edges(pairs, kappa):
    assert cohens_kappa(pairs) == pytest.approx(kappa)


def test_it_reports_agreement_as_a_share_not_a_percentage():
    assert percent_agreement([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]) == 0.75


labels = st.sampled_from(["true", "false", "mixed", "opinion"])
pairs_lists = st.lists(st.tuples(labels, labels), min_size=1, max_size=40)


@given(pairs_lists)
def test_kappa_is_symmetric_and_bounded(pairs):
    kappa = cohens_kappa(pairs)
    assert -1.0 <= kappa <= 1.0
    assert kappa == pytest.approx(cohens_kappa([(b, a) for a, b in pairs]))
    # kappa <= po always, since po * pe <= pe.
    assert kappa <= percent_agreement(pairs) + 1e-12


@given(st.lists(labels, min_size=1, max_size=40))
def test_raters_who_always_agree_have_kappa_one(labels_given):
    pairs = [(x, x) for x in labels_given]
    assert percent_agreement(pairs) == 1.0
    assert cohens_kappa(pairs) == 1.0


def test_it_compares_every_pair_of_raters_over_the_items_both_rated():
    ratings = {
        1: {"ana": "true", "ben": "true", "cy": "false"},
        2: {"ana": "false", "ben": "false"},
        3: {"ana": "true", "ben": "false", "cy": "true"},
        4: {"ben": "mixed", "cy": "mixed"},
        5: {"ana": "mixed", "ben": None},
    }
    result = pairwise_agreement(ratings)
    assert [(p.rater_a, p.rater_b, p.n) for p in result] == [
        ("ana", "ben", 3),
        ("ana", "cy", 2),
        ("ben", "cy", 3),
    ]
    ana_ben, ana_cy, ben_cy = result
    assert ana_ben.percent == pytest.approx(2 / 3)
    # ana: true 2, false 1; ben: true 1, false 2 -> pe = (2*1 + 1*2)/9 = 4/9.
    # kappa = (6/9 - 4/9) / (5/9) = 2/5.
    assert ana_ben.kappa == pytest.approx(0.4)
    assert (ana_cy.percent, ana_cy.kappa) == (0.5, pytest.approx(0.0))
    assert isinstance(ben_cy, PairAgreement)


def test_it_leaves_out_raters_who_share_no_item():
    ratings = {1: {"ana": "true"}, 2: {"ben": "false"}, 3: {"ana": "true", "cy": "true"}}
    assert [(p.rater_a, p.rater_b) for p in pairwise_agreement(ratings)] == [("ana", "cy")]


def test_it_finds_nothing_to_compare_with_a_single_rater():
    assert pairwise_agreement({1: {"ana": "true"}, 2: {"ana": "false"}}) == []


def test_it_checks_pairwise_labels_against_the_scale():
    with pytest.raises(ValueError):
        pairwise_agreement({1: {"ana": "true", "ben": "bogus"}}, labels=["true", "false"])

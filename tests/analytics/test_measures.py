"""The ranking measures every report and backtest uses, checked against hand-worked cases."""

import numpy as np
import pytest

from connector.analytics.measures import auc, band_of, decile_edges, enough_outcomes, lift, precision_recall_at


def test_auc_is_one_for_a_perfect_ranking_half_for_ties_and_none_with_one_class():
    won = np.array([0, 0, 1, 1])
    assert auc(np.array([1.0, 2.0, 3.0, 4.0]), won) == 1.0
    assert auc(np.array([4.0, 3.0, 2.0, 1.0]), won) == 0.0
    assert auc(np.array([5.0, 5.0, 5.0, 5.0]), won) == 0.5
    assert auc(np.array([1.0, 2.0]), np.array([1, 1])) is None


def test_auc_counts_pairs_as_mann_whitney_does():
    # pairs (positive, negative): (3 vs 1) win, (3 vs 4) loss, (2 vs 1) win, (2 vs 4) loss -> 2 of 4
    assert auc(np.array([1.0, 3.0, 2.0, 4.0]), np.array([0, 1, 1, 0])) == 0.5


def test_lift_of_the_top_tenth():
    scores = np.arange(20, dtype=float)
    won = np.zeros(20, dtype=bool)
    won[[19, 18, 0, 1]] = True  # the top two both won; 4 of 20 overall
    assert lift(scores, won, 0.1) == pytest.approx(1.0 / 0.2)
    assert lift(scores, np.zeros(20, dtype=bool)) is None


def test_precision_and_recall_at_a_threshold():
    result = precision_recall_at(np.array([10.0, 50.0, 60.0, 70.0]), np.array([0, 0, 1, 1]), 50)
    assert (result.precision, result.recall, result.selected) == (2 / 3, 1.0, 3)


def test_deciles_cut_equal_bands_and_merge_repeated_edges():
    scores = np.arange(100, dtype=float)
    bands = band_of(scores, decile_edges(scores))
    assert np.bincount(bands).tolist() == [10] * 10
    assert len(decile_edges(np.zeros(50))) == 1


def test_enough_outcomes_needs_both_classes():
    assert not enough_outcomes(np.array([1] * 10 + [0] * 4))
    assert enough_outcomes(np.array([1] * 5 + [0] * 5))

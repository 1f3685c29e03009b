"""Rule matching on activity kinds and contact columns, and mapping store ids to array positions."""

from __future__ import annotations

import numpy as np

from connector.scoring.conditions import TextColumn, column_matches, value_matches
from connector.scoring.kinds import KindRow, classify_kinds
from connector.scoring.model_types import Match
from connector.scoring.snapshot import contact_positions
from tests.scoring.builders import example


def test_first_matching_rule_wins_and_unmatched_kinds_score_nothing():
    model = example("sales_ready")
    kinds = classify_kinds(
        model,
        [
            KindRow(1, "sales_call", {"outcome": "Not_Interested"}),
            KindRow(2, "sales_call", {"outcome": "good"}),
            KindRow(3, "sales_call", {"outcome": "voicemail"}),
            KindRow(5, "webinar", {}),
        ],
    )
    labels = [model.behavior.rules[rule].label if rule >= 0 else None for rule in kinds.rule_of_kind.tolist()]
    assert labels == [None, "Not interested", "Good sales conversation", None, None, None]
    assert kinds.unknown_type_kinds == 1


def test_conditions_ignore_case_and_never_match_empty_values_unless_asked():
    column = TextColumn.from_values(["VP Sales", None, "  ", "vp sales", "Student"])
    assert column_matches(Match(equals="vp sales"), column).tolist() == [True, False, False, True, False]
    assert column_matches(Match(missing=True), column).tolist() == [False, True, True, False, False]
    assert column_matches(Match(regex=r"\bstudent\b"), column).tolist() == [False] * 4 + [True]
    numbers = np.array([5, np.nan, 250, 6000])
    assert column_matches(Match(min=200, max=5000), numbers).tolist() == [False, False, True, False]
    assert value_matches(Match(min=1, max=10), "7") and not value_matches(Match(min=1), "seven")


def test_contact_positions_for_dense_and_sparse_ids():
    ids = np.array([3, 5, 9])
    assert contact_positions(ids, np.array([9, 4, 3, 12])).tolist() == [2, -1, 0, -1]
    sparse = np.array([10, 10**12])
    assert contact_positions(sparse, np.array([10**12, 11])).tolist() == [1, -1]

"""Score groups in the model file and in the engine's arrays: validation, membership by kind, and the property
that groups partitioning the rules (or the kinds) add up to the contact's own scores."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.errors import ConfigError
from connector.scoring.behavior import SECONDS_PER_DAY
from connector.scoring.frame import ActivityArrays, ContactColumns, PreviousState, score_frame
from connector.scoring.kinds import KindRow, classify_kinds
from connector.scoring.model import parse_model
from tests.scoring.builders import example

BASE = {
    "activity_types": ["page_view", "demo_attended"],
    "behavior": {
        "rules": [{"type": "page_view", "points": 1, "group": "web"}, {"type": "demo_attended", "points": 30}]
    },
    "stages": [{"name": "prospect"}],
}


def model_with(**parts):
    return parse_model({**BASE, **parts}, source="model.yaml")


@pytest.mark.parametrize(
    ("groups", "key", "problem"),
    [
        ([{"name": "web"}, {"name": "Web"}], "groups[1].name", "group 'Web' is defined twice (also at groups[0].name)"),
        ([{"name": "web"}, {"by_attribute": "product", "values": ["crm", "web"]}], "groups[1].values[1]", "twice"),
        ([{"name": "web", "by_attribute": "product"}], "groups[0]", "exactly one of name, by_attribute"),
        ([{"name": "web", "values": ["a"]}], "groups[0]", "values only apply to a by_attribute group"),
        ([{"name": "web"}, {"name": "mobile"}], "groups[1].name", "no rule counts toward group 'mobile'"),
        ([{"name": "web.site"}], "groups[0].name", "cannot hold '.'"),
        (
            [{"name": "web"}, {"by_attribute": "product"}, {"by_attribute": "product"}],
            "groups[2].by_attribute",
            "groups[1] already makes a group of every 'product' value",
        ),
        (
            [{"name": "web", "stages": [{"name": "none"}, {"name": "mql", "when": [{"score": "fit", "at_least": 5}]}]}],
            "groups[0].stages[1].when[0].score",
            "a group stage tests the group's own scores: score: lead or engagement",
        ),
        (
            [{"name": "web", "stages": [{"name": "demo", "when": [{"activity": "demo_attended"}]}]}],
            "groups[0].stages[0].when[0]",
            "activity and field conditions belong to the model's stages",
        ),
        (
            [
                {
                    "name": "web",
                    "stages": [
                        {"name": "a", "when": [{"score": "lead", "at_least": 40}]},
                        {"name": "b", "when": [{"score": "lead", "at_least": 20}]},
                    ],
                }
            ],
            "groups[0].stages[1].when[0].at_least",
            "thresholds out of order",
        ),
        ([{"name": "web", "stages": [{"name": "a"}, {"name": "b"}]}], "groups[0].stages[1].when", "only the first"),
        ([{"name": "web", "stages": [{"name": "a", "notify": True}]}], "groups[0].stages[0].notify", "no tasks"),
    ],
)
def test_a_broken_groups_section_is_one_error_naming_its_key(groups, key, problem):
    with pytest.raises(ConfigError) as raised:
        model_with(groups=groups)
    assert raised.value.key == key
    assert problem in raised.value.message


def test_a_rule_tagging_an_unknown_group_is_named():
    rules = [{"type": "page_view", "points": 1, "group": ["web", "mobile"]}]
    with pytest.raises(ConfigError) as raised:
        model_with(behavior={"rules": rules}, groups=[{"name": "web"}])
    assert raised.value.key == "behavior.rules[0].group"
    assert raised.value.message == "unknown group 'mobile'; named groups: web"


def test_kinds_know_their_groups_by_rule_tag_and_by_attribute_value():
    model = model_with(
        behavior={
            "rules": [
                {"type": "page_view", "points": 1, "group": ["web", "crm"]},
                {"type": "demo_attended", "points": 30},
            ]
        },
        groups=[{"name": "web"}, {"name": "crm"}, {"by_attribute": "product"}],
    )
    kinds = [
        KindRow(1, "demo_attended", {"product": " Analytics "}),
        KindRow(2, "demo_attended", {"product": ["crm", "mobile"]}),  # an activity about two products
        KindRow(3, "page_view", {}),
        KindRow(4, "demo_attended", {"product": ""}),
    ]
    table = classify_kinds(model, kinds).groups

    # discovered values are named in lower case, sorted; "crm" from a tag and from a value is one group
    assert table.names == ("web", "crm", "analytics", "mobile")
    members = {name: np.flatnonzero(table.of_kind[row]).tolist() for row, name in enumerate(table.names)}
    assert members == {"web": [3], "crm": [2, 3], "analytics": [1], "mobile": [2]}
    assert table.members(2, np.array([1, 9, 1])).tolist() == [True, False, True]  # kind 9 is newer than the table


def test_listed_values_keep_their_spelling_and_exist_without_activity():
    model = model_with(groups=[{"name": "web"}, {"by_attribute": "product", "values": ["CRM", "Analytics"]}])
    kinds = [KindRow(1, "demo_attended", {"product": "crm"}), KindRow(2, "page_view", {"product": "other"})]
    table = classify_kinds(model, kinds).groups
    assert table.names == ("web", "CRM", "Analytics")
    assert table.of_kind[1].tolist() == [False, True, False]
    assert not table.of_kind[2].any()


def test_the_worked_example_loads():
    model = example("product_lines")
    assert [group.by_attribute or group.name for group in model.groups] == ["product", "content"]
    assert [rule.groups for rule in model.behavior.rules][-2:] == [("content",), ("content",)]


AS_OF = 1_790_000_000
TYPES = ("t0", "t1", "t2", "t3", "t4")
PRODUCTS = ("a", "b", "c")
rule_strategy = st.tuples(
    st.sampled_from([-20, -3, 1, 5, 25]), st.sampled_from([None, 5, 30]), st.sampled_from([None, 10, 60])
)


@settings(max_examples=150, deadline=None)
@given(
    rules=st.lists(rule_strategy, min_size=len(TYPES), max_size=len(TYPES)),
    group_of_rule=st.lists(st.integers(0, 2), min_size=len(TYPES), max_size=len(TYPES)),
    product_of_kind=st.lists(st.sampled_from(PRODUCTS), min_size=10, max_size=10),
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 9), st.integers(AS_OF - 90 * SECONDS_PER_DAY, AS_OF)), max_size=80
    ),
    half_life=st.sampled_from([None, 7]),
)
def test_groups_that_partition_the_rules_or_the_kinds_add_up_to_the_contact_scores(
    rules, group_of_rule, product_of_kind, rows, half_life
):
    """Each rule in exactly one named group, each kind with exactly one listed product: summed over either
    partition, the group scores are the contact's lead and engagement (no floors, so nothing is clipped)."""
    named = sorted({f"g{group}" for group in group_of_rule})
    model = parse_model(
        {
            "activity_types": list(TYPES),
            "behavior": {
                "rules": [
                    {"type": kind_type, "points": points, "daily_cap": daily, "total_cap": total, "group": f"g{group}"}
                    for kind_type, (points, daily, total), group in zip(TYPES, rules, group_of_rule, strict=True)
                ]
            },
            "engagement": {"window_days": 30, "half_life_days": half_life},
            "stages": [{"name": "prospect"}],
            "groups": [*({"name": name} for name in named), {"by_attribute": "product", "values": list(PRODUCTS)}],
        }
    )
    kinds = classify_kinds(
        model, [KindRow(kind, TYPES[kind % len(TYPES)], {"product": product_of_kind[kind]}) for kind in range(10)]
    )
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    activities = ActivityArrays(table[:, 0], table[:, 1], table[:, 2])
    contacts = ContactColumns(np.arange(4), {})
    frame = score_frame(model, kinds, contacts, activities, AS_OF, PreviousState.none(4))

    for partition in (named, list(PRODUCTS)):
        for score in ("lead", "engagement"):
            total = sum(frame.group_scores[group][score] for group in partition)
            np.testing.assert_allclose(total, frame.scores[score], atol=1e-9)

"""Group scores and the fall-below day in HubSpot: mapping keys, the properties `setup` creates, the values sent
(a date property takes midnight UTC in epoch milliseconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.hubspot.mapping import HubSpotMapping, load_mapping
from adapters.hubspot.write import midnight_utc_ms, property_values
from connector.crm import ScoreWrite
from connector.errors import ConfigError
from tests.hubspot.conftest import EXAMPLE_MAPPING, add_contact

GROUP_PROPERTIES = {
    "groups.analytics.lead": {"name": "analytics_lead_score", "label": "Analytics lead", "type": "number"},
    "groups.analytics.stage": {"name": "analytics_stage", "label": "Analytics stage", "type": "string",
                               "field_type": "text"},
}  # fmt: skip


def _with_properties(mapping: HubSpotMapping, extra: dict) -> HubSpotMapping:
    raw = mapping.model_dump()
    raw["write_back"]["properties"] |= extra
    return HubSpotMapping.model_validate(raw)


def _load(tmp_path: Path, extra: dict) -> HubSpotMapping:
    raw = yaml.safe_load(EXAMPLE_MAPPING.read_text())
    raw["write_back"]["properties"] |= extra
    path = tmp_path / "hubspot.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_mapping(path)


def test_the_default_mapping_writes_the_fall_below_day_to_a_date_property(mapping):
    prop = mapping.write_back.properties["stage_until"]
    assert (prop.type, prop.field_type) == ("date", "date")


def test_a_day_is_sent_as_midnight_utc_and_an_emptied_one_clears_the_property(mapping):
    assert midnight_utc_ms("2015-05-01") == "1430438400000"  # HubSpot's own example: 01 May 2015 00:00:00 UTC
    targets = mapping.write_back.properties
    sent = property_values(ScoreWrite("contact", "1", {"stage_until": "2026-12-20", "grade": None}), targets)
    assert sent == {"scorebridge_stage_until": "1797724800000"}
    cleared = property_values(ScoreWrite("contact", "1", {"stage_until": None}), targets)
    assert cleared == {"scorebridge_stage_until": ""}


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"groups.analytics.recency": {"name": "x_recency", "label": "X"}}, "unknown write-back target"),
        ({"stage_until": {"name": "x_until", "label": "X", "type": "number"}}, "its property's type must be date"),
    ],
)
def test_an_unknown_target_or_a_property_that_cannot_hold_it_is_one_line_naming_the_key(tmp_path, extra, words):
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, extra)
    message = str(refused.value)
    assert "write_back.properties" in message and words in message and "\n" not in message


def test_setup_creates_the_date_and_group_properties_and_they_take_the_values(sandbox, make_adapter, mapping):
    adapter = make_adapter(sandbox, mapping=_with_properties(mapping, GROUP_PROPERTIES))
    actions = adapter.setup()
    assert "created contacts property 'scorebridge_stage_until' (date) in group 'scorebridge'" in actions
    assert "created contacts property 'analytics_lead_score' (number) in group 'scorebridge'" in actions
    assert {"stage_until", *GROUP_PROPERTIES} <= adapter.write_targets()
    crm_id = add_contact(sandbox, "ann@example.com")
    values = {"stage_until": "2026-12-20", "groups.analytics.lead": 40, "groups.analytics.stage": "mql"}
    [result] = adapter.write_scores([ScoreWrite("contact", crm_id, values)])
    assert result.ok, result
    stored = sandbox.app.portal.objects.get("contacts", crm_id).properties
    assert (stored["scorebridge_stage_until"], stored["analytics_lead_score"], stored["analytics_stage"]) == (
        "2026-12-20", "40", "mql")  # fmt: skip
    [cleared] = adapter.write_scores([ScoreWrite("contact", crm_id, {"stage_until": None})])
    assert cleared.ok
    assert sandbox.app.portal.objects.get("contacts", crm_id).properties.get("scorebridge_stage_until") is None

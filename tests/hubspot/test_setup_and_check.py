"""`setup` creates the property group and missing properties once; `check` compares the mapping with the portal."""

from __future__ import annotations

from adapters.hubspot.adapter import PROCESS_PORTALS, HubSpotAdapter
from adapters.hubspot.mapping import HubSpotMapping
from tests.hubspot.conftest import EXAMPLE_MAPPING


def test_setup_creates_the_group_and_every_missing_property_then_has_nothing_left_to_do(sandbox, adapter):
    first = adapter.setup()
    assert "created contacts property group 'scorebridge'" in first
    assert "created contacts property 'scorebridge_fit_score' (number) in group 'scorebridge'" in first
    assert "created tasks property 'scorebridge_task_key' (string) in group 'scorebridge'" in first
    assert adapter.setup() == []
    fit = sandbox.app.portal.catalog.get("contacts", "scorebridge_fit_score")
    assert (fit.type, fit.group_name) == ("number", "scorebridge")


def test_check_passes_once_setup_has_run_on_a_default_portal(sandbox, adapter):
    adapter.setup()
    assert adapter.check() == []


def test_check_names_missing_properties_and_lifecycle_stages_the_portal_does_not_have(sandbox, make_adapter, mapping):
    raw = mapping.model_dump()
    raw["contact"]["properties"]["seniority"] = "hs_seniority_level"
    raw["contact"]["lifecycle_stages"]["marketing_qualified"] = "mql"
    adapter = make_adapter(sandbox, mapping=HubSpotMapping.model_validate(raw))
    problems = adapter.check()
    assert any("'hs_seniority_level' does not exist" in p and "fix the mapping" in p for p in problems)
    assert any("'scorebridge_fit_score' does not exist" in p and "run setup" in p for p in problems)
    stage_problem = next(p for p in problems if "marketing_qualified" in p)
    assert "marketingqualifiedlead" in stage_problem  # the portal's real options are listed


def test_an_adapter_is_built_from_connection_settings_with_the_token_read_from_the_environment(sandbox, tmp_path):
    settings = {"host": sandbox.base_url, "access_token": {"env": "HUBSPOT_TOKEN"}, "burst_limit": 190}
    adapter = HubSpotAdapter.from_connection(settings, EXAMPLE_MAPPING, environ={"HUBSPOT_TOKEN": sandbox.token})
    assert adapter.setup() and adapter.check() == []
    assert adapter.limiter.burst.limit == 100  # the portal's X-HubSpot-RateLimit-Max wins over the setting


def test_adapters_built_for_the_same_portal_share_one_limiter_and_other_portals_do_not(sandbox, start_sandbox):
    def build(base_url: str, token: str) -> HubSpotAdapter:
        settings = {"host": base_url, "access_token": {"env": "HUBSPOT_TOKEN"}}
        return HubSpotAdapter.from_connection(settings, EXAMPLE_MAPPING, environ={"HUBSPOT_TOKEN": token})

    first, second = build(sandbox.base_url, sandbox.token), build(sandbox.base_url, sandbox.token)
    other = build(start_sandbox().base_url, sandbox.token)
    assert first.limiter is second.limiter and other.limiter is not first.limiter
    assert not [key for key in PROCESS_PORTALS.portal_keys() if sandbox.token in key]  # keyed by a fingerprint

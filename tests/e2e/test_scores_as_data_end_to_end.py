"""Issue 11's worked examples in both CRMs: score groups written to the fields `setup` creates, and engagement that
fades per activity type, each compared with the same model scored apart (`scorebridge import` + `score` of the
sandbox's records, tests/e2e/reference.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tests.e2e import crm_state, reference, variants
from tests.e2e.conftest import SandboxWorld
from tests.e2e.test_sync_end_to_end import differences


def use_model(world: SandboxWorld, model: dict[str, Any], name: str):
    """Point the connector at `model` (written beside the sandbox); returns its path."""
    path = variants.write_model(world.workdir, name, model)
    world.config = world.config.model_copy(update={"model": path})
    return path


def held_numbers(world: SandboxWorld, fields: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """crm_id -> {target: whole number, or text, or None} as the CRM holds the `fields`, for every record that holds
    one (a Salesforce lead converted before the first sync is never scored, so never written)."""
    held = {
        crm_id: {target: _typed(target, value) for target, value in values.items()}
        for crm_id, values in crm_state.held_values(world.crm, world.app, fields).items()
    }
    return {crm_id: values for crm_id, values in held.items() if any(value is not None for value in values.values())}


def _typed(target: str, value: Any) -> Any:
    if value in (None, ""):
        return None
    return str(value) if target.endswith("stage") else round(float(value))


def expected(exported: Mapping[str, Mapping[str, str]], targets: Iterable[str]) -> dict[str, dict[str, Any]]:
    return {crm_id: {target: _typed(target, row[target]) for target in targets} for crm_id, row in exported.items()}


def test_score_groups_reach_the_fields_setup_created_and_a_second_sync_writes_nothing(world, store, tmp_path):
    model = use_model(world, variants.grouped_model(), "grouped")
    fields = variants.group_fields(world.crm)
    mapping = variants.mapping_with_targets(world.crm, world.workdir, fields)
    created = world.adapter(mapping).setup()
    assert sum(line.startswith("created") for line in created) == len(fields) * (2 if world.crm == "salesforce" else 1)

    first = world.sync(store, mapping=mapping)

    assert first.status == "succeeded", first.message
    exported = reference.reference_export(world, tmp_path / "reference", model=model, as_of=first.started_at,
                                          label="groups")  # fmt: skip
    held = held_numbers(world, fields)
    assert held == expected(exported, fields)
    stages = {values["groups.events.stage"] for values in held.values()}
    assert {"cold", "warm", "hot"} <= stages  # the population reaches every stage of the events group
    assert any(values["groups.web.lead"] and values["groups.events.lead"] for values in held.values())
    contact_scores = {crm_id: reference.expected_crm_values(row) for crm_id, row in exported.items()}
    assert differences(world, contact_scores) == {}  # the contact's own scores beside them, as before

    second = world.sync(store, mapping=mapping)

    assert second.status == "succeeded", second.message
    assert second.counts.get("written", 0) == 0
    assert held_numbers(world, fields) == held


def test_engagement_fading_per_activity_type_is_what_the_crm_shows(world, store, tmp_path):
    model = use_model(world, variants.decay_by_type_model(), "decay-by-type")

    report = world.sync(store)

    assert report.status == "succeeded", report.message
    exported = reference.reference_export(world, tmp_path / "reference", model=model, as_of=report.started_at,
                                          label="by-type")  # fmt: skip
    held = world.scores()
    engagement = {crm_id: held[crm_id]["engagement"] for crm_id in exported}
    assert engagement == {crm_id: round(float(row["engagement"])) for crm_id, row in exported.items()}
    # ... and it is not what one half-life for every type gives: the per-type settings moved some contacts.
    uniform = variants.decay_by_type_model()
    del uniform["engagement"]["by_type"]
    uniform_path = variants.write_model(world.workdir, "uniform", uniform)
    same_decay = reference.rescored_reference(tmp_path / "reference", model=uniform_path, as_of=report.started_at,
                                              label="uniform")  # fmt: skip
    moved = {crm_id for crm_id, row in same_decay.items() if round(float(row["engagement"])) != engagement[crm_id]}
    assert moved


def test_first_time_only_actions_count_once_in_the_crms_lead_score(world, store, tmp_path):
    model = use_model(world, variants.first_time_only_model(), "first-time-only")

    report = world.sync(store)

    assert report.status == "succeeded", report.message
    exported = reference.reference_export(world, tmp_path / "reference", model=model, as_of=report.started_at,
                                          label="once")  # fmt: skip
    held = world.scores()
    lead = {crm_id: held[crm_id]["lead"] for crm_id in exported}
    assert lead == {crm_id: round(float(row["lead"])) for crm_id, row in exported.items()}
    # ... and the repeats the shipped caps would have counted are left out for some people.
    shipped = variants.write_model(world.workdir, "shipped", variants.shipped_model())
    capped = reference.rescored_reference(tmp_path / "reference", model=shipped, as_of=report.started_at,
                                          label="shipped")  # fmt: skip
    assert any(round(float(row["lead"])) > lead[crm_id] for crm_id, row in capped.items())

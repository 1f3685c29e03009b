"""What-if and the next stage against a synced org, in both CRMs: `explain CONTACT --what-if ...` on the store a sync
filled shows the stage a demo would give, and nothing of it reaches the CRM: the next sync writes nothing and
creates no task."""

from __future__ import annotations

import json

from tests.cli import run_cli


def test_what_if_on_a_synced_store_shows_the_next_stage_and_the_crm_never_sees_it(world, store, monkeypatch, capsys):
    first = world.sync(store)
    assert first.status == "succeeded", first.message
    held, tasks = world.scores(), world.tasks(kinds=None)
    lead = next(crm_id for crm_id, values in sorted(held.items()) if values["stage"] in {"lead", "prospect"})
    capsys.readouterr()

    code = run_cli(monkeypatch, "explain", lead, "--what-if", "demo_attended", "--format", "json",
                   "--config", str(world.config_file))  # fmt: skip

    assert code == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["what_if"]["stage"] == "sql"  # attending a demo is the model's trigger for sql
    assert shown["stage"] == held[lead]["stage"] and shown["next_stage"] is not None
    second = world.sync(store)
    assert second.status == "succeeded", second.message
    assert second.counts.get("written", 0) == 0 and second.counts.get("tasks_created", 0) == 0
    assert world.scores() == held and world.tasks(kinds=None) == tasks

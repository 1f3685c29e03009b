"""Writing scores: chunks of 100, one result per input (207 multi-status, 400 split), blanks never sent."""

from __future__ import annotations

import json

from adapters.sandbox.http import Fault, Response, Route, SandboxServer
from connector.crm import ScoreWrite
from tests.hubspot.conftest import add_contact, route_calls


def stored(sandbox, crm_id: str) -> dict[str, str]:
    return sandbox.app.portal.objects.get("contacts", crm_id).properties


def test_scores_land_in_the_mapped_properties_in_batches_of_100(sandbox, adapter):
    adapter.setup()
    ids = [add_contact(sandbox, f"p{index}@example.com") for index in range(250)]
    writes = [ScoreWrite("contact", crm_id, {"fit": 42.5, "stage": "mql", "grade": "B"}) for crm_id in ids]
    results = adapter.write_scores(writes)
    assert [r.crm_id for r in results] == ids and all(r.ok for r in results)
    assert route_calls(sandbox, "hubspot.objects.batch_update") == 3
    values = stored(sandbox, ids[-1])
    assert (values["scorebridge_fit_score"], values["scorebridge_stage"], values["scorebridge_grade"]) == (
        "42.5",
        "mql",
        "B",
    )


def test_an_unknown_value_is_left_out_so_hubspot_keeps_what_it_had(sandbox, adapter):
    adapter.setup()
    crm_id = add_contact(sandbox, "ann@example.com", scorebridge_grade="A")
    (result,) = adapter.write_scores([ScoreWrite("contact", crm_id, {"fit": 10, "grade": None, "reasons": ""})])
    assert result.ok and stored(sandbox, crm_id)["scorebridge_grade"] == "A"


def test_a_write_with_nothing_known_makes_no_call(sandbox, adapter):
    (result,) = adapter.write_scores([ScoreWrite("contact", "1001", {"grade": None, "unmapped": 3})])
    assert result.ok and sandbox.server.stats.snapshot()["total"] == 0


def test_a_207_partial_failure_is_reported_per_input_and_the_rest_is_written(sandbox, adapter):
    adapter.setup()
    ids = [add_contact(sandbox, f"p{index}@example.com") for index in range(4)]
    sandbox.app.apply_fault(Fault(kind="reject_share", share=0.5, count=1))
    results = adapter.write_scores([ScoreWrite("contact", crm_id, {"fit": 7}) for crm_id in ids])
    assert [r.crm_id for r in results] == ids
    rejected = [r for r in results if not r.ok]
    assert len(rejected) == 2 and {r.error_code for r in rejected} == {"VALIDATION_ERROR"}
    for result in results:
        assert (stored(sandbox, result.crm_id).get("scorebridge_fit_score") == "7") == result.ok


def test_a_missing_contact_is_a_failed_result_not_an_exception(sandbox, adapter):
    adapter.setup()
    crm_id = add_contact(sandbox, "ann@example.com")
    results = adapter.write_scores(
        [ScoreWrite("contact", "999999", {"fit": 1}), ScoreWrite("contact", crm_id, {"fit": 2})]
    )
    assert [(r.ok, r.error_code) for r in results] == [(False, "OBJECT_NOT_FOUND"), (True, None)]


class _AllOrNothingApp:
    """A portal without multi-status: one bad value fails the whole batch with 400."""

    name = "all-or-nothing"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def routes(self):
        return [Route("POST", r"/crm/v3/objects/contacts/batch/update", self.update, "batch_update")]

    def update(self, request):
        inputs = request.json()["inputs"]
        self.batches.append(len(inputs))
        if any(item["properties"].get("scorebridge_grade") == "bad" for item in inputs):
            body = {"status": "error", "message": "Property values were not valid", "category": "VALIDATION_ERROR"}
            return Response.json(400, body)
        results = [{"id": item["id"], "properties": item["properties"], "createdAt": "2026-11-01T00:00:00Z",
                    "updatedAt": "2026-11-01T00:00:00Z", "archived": False} for item in inputs]  # fmt: skip
        body = {"status": "COMPLETE", "results": results, "startedAt": "2026-11-01T00:00:00Z",
                "completedAt": "2026-11-01T00:00:00Z"}  # fmt: skip
        return Response(200, json.dumps(body).encode())

    def error_response(self, status, kind):
        return Response.json(status, {"message": kind})

    def apply_fault(self, fault):
        pass


def test_a_400_for_the_whole_batch_is_split_until_the_bad_input_stands_alone(sandbox, make_adapter):
    app = _AllOrNothingApp()
    server = SandboxServer(app, admin_token="x").start()
    try:
        adapter = make_adapter(sandbox, host=server.base_url)
        writes = [ScoreWrite("contact", str(n), {"grade": "bad" if n == 5 else "A"}) for n in range(8)]
        results = adapter.write_scores(writes)
    finally:
        server.stop()
    assert [r.ok for r in results] == [n != 5 for n in range(8)]
    assert results[5].error_code == "VALIDATION_ERROR"
    assert app.batches == [8, 4, 4, 2, 1, 1, 2]

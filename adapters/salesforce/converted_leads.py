"""Write-back and tasks for a lead converted between ScoreBridge's read and its write: they go to the contact.

A converted lead is read-only; Salesforce answers CANNOT_UPDATE_CONVERTED_LEAD ("cannot reference converted lead")
for that record, alone or in an sObject Collection. Retrying would fail on every run until the next pull merges the
lead into its contact, and meanwhile the person the lead became shows no score. So the adapter looks up
ConvertedContactId and writes the same values to that Contact, reporting the outcome on the lead's write. A new
Task naming a converted lead is refused the same way ("cannot reference converted lead", on WhoId); it is created
on the Contact under the same idempotency key.
Lead fields: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_lead.htm
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from adapters.salesforce import soql
from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.composite import Query, first_pages, pages_from
from connector.crm import ScoreWrite, TaskRequest, TaskResult, WriteResult

CONVERTED_LEAD = "CANNOT_UPDATE_CONVERTED_LEAD"
#: Lead ids per look-up query: 200 ids of 18 characters keep the query far below the URI limit.
IDS_PER_QUERY = 200
Writer = Callable[[Sequence[ScoreWrite]], list[WriteResult]]


def follow_conversions(
    client: SalesforceClient, writes: Sequence[ScoreWrite], results: list[WriteResult], write: Writer
) -> list[WriteResult]:
    """`results` with every converted-lead refusal replaced by the outcome of the same write on its Contact."""
    redirected, contact_of = _redirected(client, writes, results)
    if not redirected:
        return results
    moved = [ScoreWrite("Contact", contact_of[writes[i].crm_id], writes[i].values) for i in redirected]
    outcomes = write(moved) if moved else []
    followed = list(results)
    for index, outcome in zip(redirected, outcomes, strict=True):
        note = f"lead converted; written to Contact {outcome.crm_id}"
        message = note if outcome.ok else f"{note}: {outcome.error_message}"
        followed[index] = WriteResult(writes[index].crm_id, outcome.ok, outcome.error_code, message)
    return followed


def _redirected(
    client: SalesforceClient, sent: Sequence[ScoreWrite | TaskRequest], results: Sequence[WriteResult | TaskResult]
) -> tuple[list[int], dict[str, str]]:
    """The positions of the Lead records refused as converted whose Contact is known, and lead id -> contact id."""
    refused = [
        index
        for index, (item, result) in enumerate(zip(sent, results, strict=True))
        if item.object_type == "Lead" and result.error_code == CONVERTED_LEAD
    ]
    if not refused:
        return [], {}
    contact_of = converted_contacts(client, [sent[index].crm_id for index in refused])
    return [index for index in refused if contact_of.get(sent[index].crm_id)], contact_of


def follow_task_conversions(
    client: SalesforceClient,
    tasks: Sequence[TaskRequest],
    results: list[TaskResult],
    create: Callable[[Sequence[TaskRequest]], list[TaskResult]],
) -> list[TaskResult]:
    """`results` with every task refused for naming a converted lead created on its Contact instead (same key)."""
    redirected, contact_of = _redirected(client, tasks, results)
    if not redirected:
        return results
    moved = [replace(tasks[i], object_type="Contact", crm_id=contact_of[tasks[i].crm_id]) for i in redirected]
    followed = list(results)
    for index, outcome in zip(redirected, create(moved) if moved else [], strict=True):
        followed[index] = outcome
    return followed


def converted_contacts(client: SalesforceClient, lead_ids: Sequence[str]) -> dict[str, str]:
    """Lead id -> the Contact it was converted into, for the given leads that are converted."""
    wanted = list(dict.fromkeys(lead_ids))
    queries = [
        Query(
            soql.select("Lead", ["Id", "ConvertedContactId"], [soql.in_condition("Id", chunk), "IsConverted = true"]),
            "look-up of converted leads",
        )
        for chunk in soql.chunked(wanted, IDS_PER_QUERY)
    ]
    found: dict[str, str] = {}
    for first in first_pages(client, queries):
        for page in pages_from(client, first, what="look-up of converted leads"):
            found.update({str(row["Id"]): str(row["ConvertedContactId"]) for row in page if row["ConvertedContactId"]})
    # Salesforce may answer with 18-character ids for 15-character ones we sent; match on the first 15.
    by_prefix = {lead[:15]: contact for lead, contact in found.items()}
    return {lead: by_prefix[lead[:15]] for lead in wanted if lead[:15] in by_prefix}

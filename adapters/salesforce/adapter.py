"""`SalesforceAdapter`: the CrmAdapter port implemented for one Salesforce org and one mapping file."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import requests

from adapters.salesforce import followup, soql
from adapters.salesforce.accounts import account_stream_object, link_fields, linked_contact_record
from adapters.salesforce.bulk_tasks import create_tasks_by_size, wait_for_running_inserts
from adapters.salesforce.bulk_write import BULK_WRITE_BATCH, write_scores_by_size
from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.converted_leads import follow_conversions, follow_task_conversions
from adapters.salesforce.counts import SharedCounts
from adapters.salesforce.describe_batch import BatchedDescribe
from adapters.salesforce.mapping import ActivityRule, SalesforceMapping, load_mapping
from adapters.salesforce.normalize import activity_record, contact_record
from adapters.salesforce.outcomes import OutcomeAssembler, stream_objects
from adapters.salesforce.pull import StreamObject, StreamReader
from adapters.salesforce.schema import OrgSchema, mapping_problems
from adapters.salesforce.settings import SalesforceSettings, load_settings
from adapters.salesforce.setup import create_missing_fields
from adapters.salesforce.task_context import task_context
from adapters.salesforce.tasks import any_task_query, create_tasks, find_tasks
from connector.crm import (
    AccountRecord,
    ActivityRecord,
    ApiUsage,
    Bookmark,
    ContactRecord,
    OutcomeRecord,
    Page,
    ScoreWrite,
    TaskContext,
    TaskReassignment,
    TaskRequest,
    TaskResult,
    TaskState,
    WriteResult,
)

#: The stream names the sync keeps bookmarks under.
CONTACT_STREAM = "contacts"
ACTIVITY_STREAM = "activities"
OUTCOME_STREAM = "outcomes"
ACCOUNT_STREAM = "accounts"
#: Read on every row whatever the mapping says: identity, cursor, deletion.
BASE_FIELDS = ("Id", soql.CURSOR_FIELD, "CreatedDate", "IsDeleted")
LEAD_CONVERSION_FIELDS = ("IsConverted", "ConvertedContactId")


class SalesforceAdapter:
    def __init__(
        self,
        settings: SalesforceSettings,
        mapping: SalesforceMapping,
        *,
        http: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.mapping = mapping
        self.client = SalesforceClient(settings, http=http, sleep=sleep, environ=environ, clock=clock)
        self._counts = SharedCounts(self.client, self._first_sync_counts, probes=[any_task_query(mapping.tasks)])
        describe = BatchedDescribe(self.client, described_objects(mapping), self._counts)
        self._schema = OrgSchema(describe)  # type: ignore[arg-type]
        self._reader = StreamReader(self.client, mapping.pull, now=clock, counts=self._counts)

    @classmethod
    def from_connection(
        cls, settings: Mapping[str, Any], mapping_path: Path, *, config_folder: Path | None = None, **kwargs: Any
    ) -> SalesforceAdapter:
        """Build from a connection's `settings:` block and its mapping file; both are validated here.

        `config_folder` is the connector file's folder: relative paths in the settings are read from it."""
        return cls(load_settings(settings, folder=config_folder), load_mapping(mapping_path), **kwargs)

    def activity_types(self) -> frozenset[str]:
        return self.mapping.activity_types()

    def check(self) -> list[str]:
        return mapping_problems(self._schema, self.mapping)

    def setup(self) -> list[str]:
        return create_missing_fields(self.client, self._schema, self.mapping)

    def write_targets(self) -> frozenset[str]:
        return frozenset(target for mapping in self.mapping.objects.values() for target in mapping.write_back)

    def account_matching(self) -> tuple[str, ...]:
        accounts = self.mapping.accounts
        return () if accounts is None else tuple(accounts.match_leads_by)

    def account_write_targets(self) -> frozenset[str]:
        accounts = self.mapping.accounts
        return frozenset() if accounts is None else frozenset(accounts.write_back)

    def pull_accounts(self, since: Bookmark | None) -> Iterator[Page[AccountRecord]]:
        accounts = self.mapping.accounts
        if accounts is None:
            return iter(())
        stream = since.stream if since else ACCOUNT_STREAM
        return self._reader.pages(stream, [account_stream_object(BASE_FIELDS, accounts)], since)

    def pull_contacts(self, since: Bookmark | None) -> Iterator[Page[ContactRecord]]:
        stream = since.stream if since else CONTACT_STREAM
        return self._reader.pages(stream, self._contact_objects(), since)

    def pull_activities(self, since: Bookmark | None) -> Iterator[Page[ActivityRecord]]:
        stream = since.stream if since else ACTIVITY_STREAM
        return self._reader.pages(stream, self._activity_objects(), since)

    def pull_outcomes(self, since: Bookmark | None) -> Iterator[Page[OutcomeRecord]]:
        options = self.mapping.outcomes
        if options is None:
            return iter(())
        stream = since.stream if since else OUTCOME_STREAM
        touched = self._reader.pages(stream, stream_objects(BASE_FIELDS, options, since), since)
        assembler = OutcomeAssembler(
            self.client,
            options,
            base=BASE_FIELDS,
            page_size=self.mapping.pull.page_size,
            # The contact a lead converted into carries the person (the store merges the lead into it); a lead link
            # matters only when no Contact is read, and a lead converted before the first sync is never stored.
            link_leads="Lead" in self.mapping.objects and "Contact" not in self.mapping.objects,
        )
        return assembler.pages(touched)

    @property
    def write_batch_size(self) -> int | None:
        """With Bulk on, the sync hands over batches big enough for one ingest job per object (see bulk_write)."""
        return None if self.mapping.write.bulk_threshold is None else BULK_WRITE_BATCH

    def write_scores(self, writes: Sequence[ScoreWrite]) -> list[WriteResult]:
        targets = {name: mapping.write_back for name, mapping in self.mapping.objects.items()}
        if self.mapping.accounts is not None:
            targets[self.mapping.accounts.object] = self.mapping.accounts.write_back
        write = partial(write_scores_by_size, self.client, targets=targets, options=self.mapping.write)
        return follow_conversions(self.client, writes, write(writes), write)

    @property
    def task_batch_size(self) -> int | None:
        """With Bulk on, the outbox hands over all pending tasks at once, so many go in one insert job."""
        return self.write_batch_size

    def settle_task_creates(self) -> None:
        """Before tasks sent earlier are looked up: a Bulk insert a killed run left may still be creating them."""
        self._counts.forget(any_task_query(self.mapping.tasks))  # and an earlier run may have created some
        if self.mapping.write.bulk_threshold is not None:
            wait_for_running_inserts(self.client, self.mapping.write)

    def find_tasks(self, idempotency_keys: Sequence[str]) -> dict[str, str]:
        if self._counts.answered(any_task_query(self.mapping.tasks)) == 0:
            return {}  # the org held no task of ours when this run began, and none of these was tried before
        return find_tasks(self.client, idempotency_keys, self.mapping.tasks)

    def create_tasks(self, tasks: Sequence[TaskRequest]) -> list[TaskResult]:
        created = create_tasks_by_size(self.client, tasks, self.mapping.tasks, self.mapping.write)
        create = partial(create_tasks, self.client, options=self.mapping.tasks)
        return follow_task_conversions(self.client, tasks, created, create)

    def task_states(self, crm_task_ids: Sequence[str]) -> dict[str, TaskState]:
        return followup.task_states(self.client, crm_task_ids)

    def owner_managers(self, owner_ids: Sequence[str]) -> dict[str, str]:
        return followup.owner_managers(self.client, owner_ids)

    def reassign_tasks(self, changes: Sequence[TaskReassignment]) -> list[WriteResult]:
        return followup.reassign_tasks(self.client, changes)

    def usage(self) -> ApiUsage:
        return self.client.usage()

    def task_context(self) -> TaskContext:
        return task_context(self.client, self.mapping)

    # -- what each stream reads ----------------------------------------------------------------------------------

    def _first_sync_counts(self) -> list[str]:
        """The COUNT() of every object a first sync reads, stream by stream in the sync's order (accounts first).
        The check's describe call also asks whether the org holds any task of ours (so a first sync's task look-up
        costs no call); a count call never does: the key field may not exist yet, and that would fail the call."""
        accounts = self.mapping.accounts
        outcomes = self.mapping.outcomes
        objects = [
            *([account_stream_object(BASE_FIELDS, accounts)] if accounts is not None else []),
            *self._contact_objects(),
            *self._activity_objects(),
            *(stream_objects(BASE_FIELDS, outcomes, None) if outcomes is not None else []),
        ]
        return [item.count() for item in objects]

    def _contact_objects(self) -> list[StreamObject[ContactRecord]]:
        objects = []
        linked = self.mapping.accounts is not None
        for name, object_mapping in self.mapping.objects.items():
            fields = [*BASE_FIELDS, *(spec.field for spec in object_mapping.fields.values())]
            backfill: tuple[str, ...] = ()
            if name == "Lead":
                fields.extend(LEAD_CONVERSION_FIELDS)
                # Later syncs read converted leads too: that is how a conversion reaches the store.
                backfill = () if self.mapping.leads.include_converted else ("IsConverted = false",)
            if linked:
                fields.extend(link_fields(name))
            to_record = partial(linked_contact_record if linked else contact_record, name, mapping=object_mapping)
            objects.append(StreamObject(name, tuple(fields), to_record, backfill_conditions=backfill))
        return objects

    def _activity_objects(self) -> list[StreamObject[ActivityRecord]]:
        objects = []
        for name, rules in self.mapping.activity_objects().items():
            fields = [*BASE_FIELDS, *(field for rule in rules for field in _rule_fields(rule))]
            condition = _any_rule(rules)
            to_record = partial(activity_record, rules=rules)
            objects.append(StreamObject(name, tuple(fields), to_record, conditions=(condition,) if condition else ()))
        return objects


def described_objects(mapping: SalesforceMapping) -> list[str]:
    """The objects a mapping check describes in one batch (other relationship targets are described when reached)."""
    outcomes = ["Opportunity", "OpportunityContactRole"] if mapping.outcomes is not None else []
    accounts = [mapping.accounts.object] if mapping.accounts is not None else []
    return [*mapping.objects, *mapping.activity_objects(), "Task", *outcomes, *accounts, *_related_objects(mapping)]


def _related_objects(mapping: SalesforceMapping) -> list[str]:
    """Objects reached through a standard relationship named like its object (`Campaign.Type`, `Account.Name`),
    described in the same batch. Others (`Owner` -> User, `Foo__r`) are described when reached; a relationship name
    that is no object only fails its own subrequest."""
    fields = [spec.field for object_mapping in mapping.objects.values() for spec in object_mapping.fields.values()]
    fields += [field for rules in mapping.activity_objects().values() for rule in rules for field in _rule_fields(rule)]
    prefixes = (field.split(".", 1)[0] for field in fields if "." in field)
    return [prefix for prefix in prefixes if not prefix.endswith("__r")]


def _rule_fields(rule: ActivityRule) -> list[str]:
    return [
        *rule.who_fields,
        rule.timestamp,
        *rule.equals,
        *rule.starts_with,
        *rule.contains,
        *rule.attributes.values(),
    ]


def rule_condition(rule: ActivityRule) -> str | None:
    """The SOQL filter a rule stands for; the same test is repeated on each row to pick the rule."""
    parts = [f"{field} = {soql.literal(value)}" for field, value in rule.equals.items()]
    parts += [f"{field} LIKE {soql.like_prefix(prefix)}" for field, prefix in rule.starts_with.items()]
    parts += [f"{field} LIKE {soql.like_anywhere(text)}" for field, text in rule.contains.items()]
    return " AND ".join(parts) or None


def _any_rule(rules: Sequence[ActivityRule]) -> str | None:
    conditions = [rule_condition(rule) for rule in rules]
    if any(condition is None for condition in conditions):
        return None  # a rule without conditions takes every row of the object
    return " OR ".join(f"({condition})" for condition in conditions)

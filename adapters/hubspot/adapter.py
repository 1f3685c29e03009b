"""`HubSpotAdapter`: the CrmAdapter port implemented for one HubSpot portal."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.ca_bundle import ca_bundle_file
from adapters.hubspot import followup
from adapters.hubspot import tasks as task_calls
from adapters.hubspot.account_mapping import is_company_object
from adapters.hubspot.accounts import AccountReader
from adapters.hubspot.activities import ActivityReader
from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.contacts import ContactReader
from adapters.hubspot.limiter import Clock, RateLimiter, Sleep
from adapters.hubspot.mapping import HubSpotMapping, load_mapping
from adapters.hubspot.outcomes import OutcomeReader
from adapters.hubspot.overlap import prefetched
from adapters.hubspot.pipelines import PipelinesOnce
from adapters.hubspot.portal import PortalMemory, PortalRegistry
from adapters.hubspot.settings import Credentials, HubSpotSettings, read_credentials
from adapters.hubspot.setup import check_mapping, ensure_schema
from adapters.hubspot.task_context import task_context
from adapters.hubspot.write import write_scores
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


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_limiter(
    settings: HubSpotSettings, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
) -> RateLimiter:
    """The limiter for one portal; share it between adapters that talk to the same portal in one process."""
    return RateLimiter(
        burst_limit=settings.burst_limit,
        burst_seconds=settings.burst_window_seconds,
        search_per_second=settings.search_per_second,
        daily_limit=settings.daily_limit,
        daily_share=settings.daily_share,
        safety_margin=settings.rate_margin_seconds,
        clock=clock,
        sleep=sleep,
    )


#: What this process remembers per portal and app across runs (rate windows, our own writes); see portal.py.
PROCESS_PORTALS = PortalRegistry()


def portal_key(settings: HubSpotSettings, credentials: Credentials) -> str:
    """Which portal and app a connection speaks for: the host and a fingerprint of its credentials."""
    secret = credentials.oauth.client_id if credentials.oauth else credentials.access_token
    text = secret if isinstance(secret, str) else (secret.get_secret_value() if secret else "")
    return f"{settings.host}#{hashlib.sha256(text.encode()).hexdigest()[:16]}"


class HubSpotAdapter:
    """Pulls companies, contacts, engagement and deals from a portal, writes scores and tasks back, within its API
    limits."""

    def __init__(
        self,
        settings: HubSpotSettings,
        mapping: HubSpotMapping,
        *,
        credentials: Credentials | None = None,
        memory: PortalMemory | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.mapping = mapping
        self.memory = memory or PortalMemory(build_limiter(settings, clock=clock, sleep=sleep))
        self.limiter = self.memory.limiter
        self.client = HubSpotClient(
            host=settings.host,
            credentials=credentials or read_credentials(settings),
            limiter=self.limiter,
            sleep=sleep,
            max_attempts=settings.max_attempts,
            timeout=settings.timeout_seconds,
            ca_bundle=ca_bundle_file(settings.ca_bundle),
        )
        lookback = timedelta(seconds=settings.lookback_seconds)
        self._contacts = ContactReader(self.client, mapping, lookback=lookback, now=now, echoes=self.memory.echoes)
        self._activities = ActivityReader(
            self.client, mapping, lookback=lookback, now=now, threads=settings.concurrent_requests
        )
        self._activities.contacts_verdict = self._contacts.take_verdict
        self._pipelines = PipelinesOnce(self.client)
        self._outcomes = OutcomeReader(self.client, mapping, lookback=lookback, now=now, pipelines=self._pipelines)
        self._accounts = AccountReader(self.client, mapping.accounts, lookback=lookback, now=now)

    @classmethod
    def from_connection(
        cls,
        settings: Mapping[str, object],
        mapping_path: Path,
        *,
        environ: Mapping[str, str] | None = None,
        config_folder: Path | None = None,
        **kwargs: Any,
    ) -> HubSpotAdapter:
        """Build from a connection's ``settings:`` block and its mapping file; both are validated here.

        ``config_folder`` is the connector file's folder: relative paths in the settings are read from it."""
        hubspot_settings = HubSpotSettings.from_config(settings, folder=config_folder)
        credentials = read_credentials(hubspot_settings, environ)
        if "memory" not in kwargs and "clock" not in kwargs:
            key = portal_key(hubspot_settings, credentials)
            kwargs["memory"] = PROCESS_PORTALS.get(key, lambda: PortalMemory(build_limiter(hubspot_settings)))
        return cls(hubspot_settings, load_mapping(mapping_path), credentials=credentials, **kwargs)

    def activity_types(self) -> frozenset[str]:
        return self.mapping.activities.activity_types()

    def check(self) -> list[str]:
        return check_mapping(self.client, self.mapping, self._pipelines)

    def setup(self) -> list[str]:
        return ensure_schema(self.client, self.mapping)

    def write_targets(self) -> frozenset[str]:
        return frozenset(self.mapping.write_back.properties)

    def pull_contacts(self, since: Bookmark | None) -> Iterator[Page[ContactRecord]]:
        emails = self._activities.emails
        # The next page is read while the caller stores this one; pages (and their bookmarks) keep their order.
        for page in prefetched(self._contacts.pull(since), threads=self.settings.concurrent_requests):
            for record in page.records:
                # Email events and form submissions name people by address: remember who has which.
                if record.deleted:
                    emails.forget(record.email)
                else:
                    emails.remember(record.email, record.crm_id)
            yield page

    def pull_activities(self, since: Bookmark | None) -> Iterator[Page[ActivityRecord]]:
        return self._activities.pull(since)

    def pull_outcomes(self, since: Bookmark | None) -> Iterator[Page[OutcomeRecord]]:
        return prefetched(self._outcomes.pull(since), threads=self.settings.concurrent_requests)

    def pull_accounts(self, since: Bookmark | None) -> Iterator[Page[AccountRecord]]:
        return prefetched(self._accounts.pull(since), threads=self.settings.concurrent_requests)

    def account_matching(self) -> tuple[str, ...]:
        return self.mapping.accounts.match_leads_by if self.mapping.accounts else ()

    def account_write_targets(self) -> frozenset[str]:
        return frozenset(self.mapping.accounts.write_back) if self.mapping.accounts else frozenset()

    def write_scores(self, writes: Sequence[ScoreWrite]) -> list[WriteResult]:
        """Contacts' and companies' writes, each through its object's batch update; results in the writes' order."""
        results: dict[int, WriteResult] = {}
        for companies in (False, True):
            indexes = [i for i, write in enumerate(writes) if is_company_object(write.object_type) == companies]
            if indexes:
                answered = self._write_object([writes[i] for i in indexes], companies=companies)
                results.update(zip(indexes, answered, strict=True))
        return [results[index] for index in range(len(writes))]

    def _write_object(self, writes: list[ScoreWrite], *, companies: bool) -> list[WriteResult]:
        threads = self.settings.concurrent_requests
        if not companies:
            targets = self.mapping.write_back.properties
            return write_scores(self.client, targets, writes, self.memory.echoes, threads=threads)
        # Our own company writes need no echoes: the contacts stream's verdict is about contacts only.
        targets = self.mapping.accounts.write_back if self.mapping.accounts else {}
        return write_scores(self.client, targets, writes, threads=threads, object_type="companies")

    def find_tasks(self, idempotency_keys: Sequence[str]) -> dict[str, str]:
        return task_calls.find_tasks(self.client, self.mapping.tasks, idempotency_keys)

    def create_tasks(self, tasks: Sequence[TaskRequest]) -> list[TaskResult]:
        return task_calls.create_tasks(self.client, self.mapping.tasks, tasks)

    def task_states(self, crm_task_ids: Sequence[str]) -> dict[str, TaskState]:
        return followup.task_states(self.client, crm_task_ids)

    def owner_managers(self, owner_ids: Sequence[str]) -> dict[str, str]:
        return {}  # HubSpot owners have no manager: follow_up.escalate_to names who gets escalations

    def reassign_tasks(self, changes: Sequence[TaskReassignment]) -> list[WriteResult]:
        return followup.reassign_tasks(self.client, changes)

    def usage(self) -> ApiUsage:
        used, limit = self.limiter.daily_snapshot()
        return ApiUsage(
            calls=self.client.counts.calls,
            daily_used=used,
            daily_limit=limit,
            rate_limited=self.client.counts.rate_limited,
        )

    def task_context(self) -> TaskContext:
        return task_context(self.client, self.mapping)

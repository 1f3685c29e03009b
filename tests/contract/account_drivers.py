"""What the accounts contract suite (test_accounts.py) asks of each CRM's stand-in: add, change, delete and merge
accounts behind the adapter's back, put a person in an account, and read back what the adapter wrote.

One driver per registered CRM, as `drivers.py` has for people. The HubSpot driver follows HubSpot's own merge
(the surviving company lists the merged one in `hs_merged_object_ids`; the merged one is gone); its owner is the
HubSpot adapter's author, who may adjust it to how the HubSpot stand-in models companies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class AccountDriver:
    #: The object type AccountRecord, ScoreWrite and TaskRequest name for an account.
    account_type: str
    #: Add `count` accounts whose web address is given in the CRM's usual loose form; returns their ids. The n-th
    #: account's bare domain is `firm<n>.example.com` (n counted over every account the stand-in holds).
    add_accounts: Callable[[Any, int], list[str]]
    #: Add one person belonging to the account; returns the person's id.
    add_member: Callable[[Any, str], str]
    change: Callable[[Any, str], None]
    delete: Callable[[Any, str], None]
    #: Merge the second account into the first (the survivor), as a user of the CRM would.
    merge: Callable[[Any, str, str], None]
    #: The values the account holds in the fields the mapping writes account targets to, by target.
    written: Callable[[Any, Path, str], dict[str, Any]]
    #: The account a task is attached to, or None.
    task_account: Callable[[Any, str], str | None]


# -- Salesforce -----------------------------------------------------------------------------------------------


def _sf_add(app: Any, count: int) -> list[str]:
    base = len(app.store.rows("Account", include_deleted=True))
    return [
        app.insert("Account", {"Name": f"Firm {base + n}", "Website": f"https://www.Firm{base + n}.example.com/"})
        for n in range(count)
    ]


def _sf_member(app: Any, account_id: str) -> str:
    number = len(app.store.rows("Contact", include_deleted=True))
    return app.insert(
        "Contact", {"LastName": f"Member {number}", "Email": f"m{number}@acme.io", "AccountId": account_id}
    )


def _sf_written(app: Any, mapping: Path, crm_id: str) -> dict[str, Any]:
    fields = yaml.safe_load(mapping.read_text())["accounts"]["write_back"]
    row = app.store.get(crm_id)
    return {target: row.get(field) for target, field in fields.items()}


def _sf_task_account(app: Any, task_id: str) -> str | None:
    task = app.store.get(task_id)
    return None if task is None or task.get("WhoId") else task.get("WhatId")


SALESFORCE = AccountDriver(
    account_type="Account",
    add_accounts=_sf_add,
    add_member=_sf_member,
    change=lambda app, crm_id: app.store.update("Account", crm_id, {"Industry": "Banking"}),
    delete=lambda app, crm_id: app.store.delete("Account", crm_id),
    merge=lambda app, master, merged: app.merge_accounts(master, [merged]),
    written=_sf_written,
    task_account=_sf_task_account,
)


# -- HubSpot --------------------------------------------------------------------------------------------------


def _hs_add(app: Any, count: int) -> list[str]:
    base = app.portal.objects.count("companies")
    return [
        app.insert("companies", {"name": f"Firm {base + n}", "domain": f"www.Firm{base + n}.example.com"})
        for n in range(count)
    ]


def _hs_member(app: Any, company_id: str) -> str:
    number = app.portal.objects.count("contacts")
    return app.insert("contacts", {"email": f"m{number}@acme.io"}, {"companies": [company_id]})


def _hs_change(app: Any, crm_id: str) -> None:
    app.portal.objects.update(app.portal.objects.get("companies", crm_id), {"industry": "BANKING"}, app.clock())


def _hs_delete(app: Any, crm_id: str) -> None:
    app.portal.objects.archive(app.portal.objects.get("companies", crm_id), app.clock())


def _hs_merge(app: Any, master: str, merged: str) -> None:
    survivor = app.portal.objects.get("companies", master)
    app.portal.objects.update(survivor, {"hs_merged_object_ids": merged}, app.clock())
    _hs_delete(app, merged)


def _hs_written(app: Any, mapping: Path, crm_id: str) -> dict[str, Any]:
    properties = yaml.safe_load(mapping.read_text())["accounts"]["write_back"]
    company = app.portal.objects.get("companies", crm_id)
    return {target: company.properties.get(name) for target, name in properties.items()}


def _hs_task_account(app: Any, task_id: str) -> str | None:
    targets = app.portal.associations.targets("tasks", int(task_id), "companies")
    return str(targets[0][0]) if targets else None


HUBSPOT = AccountDriver(
    account_type="companies",
    add_accounts=_hs_add,
    add_member=_hs_member,
    change=_hs_change,
    delete=_hs_delete,
    merge=_hs_merge,
    written=_hs_written,
    task_account=_hs_task_account,
)

ACCOUNT_DRIVERS = {"salesforce": SALESFORCE, "hubspot": HUBSPOT}

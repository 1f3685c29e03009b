"""What a task's text needs from the portal: the page of a contact record and the portal's lifecycle stage labels.

The record page is `https://{uiDomain}/contacts/{portalId}/record/0-1/{id}`: 0-1 is the contacts object type id
(https://developers.hubspot.com/docs/guides/crm/using-object-apis), and the account details give the portal id and
its UI domain (app.hubspot.com, or app-eu1.hubspot.com for a portal hosted in the EU):
https://developers.hubspot.com/docs/api-reference/latest/account/account-information/get-account-details
"""

from __future__ import annotations

from adapters.hubspot.client import HubSpotClient
from adapters.hubspot.errors import HubSpotApiError
from adapters.hubspot.mapping import HubSpotMapping
from adapters.value_map import only_sources
from connector.crm import TaskContext

ACCOUNT_DETAILS_PATH = "/account-info/v3/details"
DEFAULT_UI_DOMAIN = "app.hubspot.com"
RECORD_PAGE = "https://{domain}/contacts/{portal}/record/0-1/{{crm_id}}"
#: Answers that mean "this token may not read it": the task goes without that part rather than not at all.
NOT_READABLE = (401, 403, 404)


def task_context(client: HubSpotClient, mapping: HubSpotMapping) -> TaskContext:
    """Two calls per run that writes tasks: the account details and the lifecycle stage property."""
    return TaskContext(record_url=_record_page(client), stage_labels=stage_labels(client, mapping))


def _record_page(client: HubSpotClient) -> str:
    try:
        details = client.get_json("read the account details", ACCOUNT_DETAILS_PATH)
    except HubSpotApiError as error:
        if error.status in NOT_READABLE:
            return ""
        raise
    if not details.get("portalId"):
        return ""
    return RECORD_PAGE.format(domain=details.get("uiDomain") or DEFAULT_UI_DOMAIN, portal=details["portalId"])


def stage_labels(client: HubSpotClient, mapping: HubSpotMapping) -> dict[str, str]:
    """ScoreBridge stage -> the label the portal shows for the one lifecycle stage mapped to it ("Marketing
    Qualified Lead"); stages are customizable per portal, so the labels are read, never assumed."""
    internal = only_sources(mapping.contact.lifecycle_stages)
    name = mapping.contact.properties.get("lifecycle")
    if not internal or not name:
        return {}
    api = client.sdk.crm.properties.core_api
    try:
        prop = client.call("read the lifecycle stage labels", api.get_by_name, "contacts", name)
    except HubSpotApiError as error:
        if error.status in NOT_READABLE:
            return {}
        raise
    labels = {option.value: option.label for option in (getattr(prop, "options", None) or []) if option.label}
    return {stage: labels[value] for stage, value in internal.items() if value in labels}

"""What a task's text needs from the org: the Lightning page of a record and the org's words for the stages."""

from __future__ import annotations

from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.mapping import SalesforceMapping
from adapters.value_map import only_sources
from connector.crm import TaskContext

#: A record's page in Lightning Experience; the instance's my.salesforce.com host forwards to its lightning.force.com
#: host (https://help.salesforce.com/s/articleView?id=sf.domain_name_url_formats.htm).
RECORD_PAGE = "https://{host}/lightning/r/{{object_type}}/{{crm_id}}/view"


def task_context(client: SalesforceClient, mapping: SalesforceMapping) -> TaskContext:
    """The record link from the session's instance (no call once the run has logged in) and the stage words."""
    host = client.call("instance of the session", lambda salesforce: salesforce.sf_instance)
    return TaskContext(record_url=RECORD_PAGE.format(host=host), stage_labels=stage_words(mapping))


def stage_words(mapping: SalesforceMapping) -> dict[str, str]:
    """ScoreBridge stage -> the Lead Status (or the mapped lifecycle field's value) that alone gives it."""
    words: dict[str, str] = {}
    for object_mapping in mapping.objects.values():
        lifecycle = object_mapping.fields.get("lifecycle")
        for stage, word in only_sources(lifecycle.values if lifecycle else None).items():
            words.setdefault(stage, word)
    return words

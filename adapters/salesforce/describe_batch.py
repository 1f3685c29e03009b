"""The describes a mapping check needs, fetched together: one Composite call instead of one call per object.

A Composite request runs up to 25 subrequests and "the entire series of requests counts as a single call toward
your API limits" (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite_post.htm);
a first sync checks about nine objects. Each prefetched answer serves once, so a describe after
`OrgSchema.forget` (fields just created) asks the org again; an object whose subrequest failed is described
directly, so its error is raised and classified as a direct call's would be (and so is every object when the
Composite call itself fails).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote_plus, urlsplit

from adapters.salesforce.client import SalesforceClient
from adapters.salesforce.composite import MAX_QUERIES_PER_CALL
from adapters.salesforce.counts import SharedCounts
from connector.errors import ScoreBridgeError

#: Salesforce's limit on subrequests in one Composite call.
MAX_SUBREQUESTS = 25


class BatchedDescribe:
    """Stands in for the client's `describe` in `OrgSchema`: the named objects are described in one call the
    first time any object is asked for. The same call carries up to five COUNT() queries a first sync will need
    (counts.py): a check runs on a first sync, right before the reads, and the call has room for them."""

    def __init__(
        self, client: SalesforceClient, object_names: Iterable[str], counts: SharedCounts | None = None
    ) -> None:
        self._client = client
        self._counts = counts
        self._names = list(dict.fromkeys(object_names))[: MAX_SUBREQUESTS - MAX_QUERIES_PER_CALL]
        self._ready: dict[str, Mapping[str, Any]] | None = None

    def describe(self, object_name: str) -> Mapping[str, Any]:
        if self._ready is None:
            self._ready = self._fetch() if len(self._names) > 1 else {}
        answer = self._ready.pop(object_name, None)
        return answer if answer is not None else self._client.describe(object_name)

    def _fetch(self) -> dict[str, Mapping[str, Any]]:
        counts = self._counts.spare(MAX_QUERIES_PER_CALL, probes=True) if self._counts else []

        def composite(sf: Any) -> Any:
            base = urlsplit(sf.base_url).path
            subrequests = [
                {"method": "GET", "url": f"{base}sobjects/{name}/describe/", "referenceId": f"d{number}"}
                for number, name in enumerate(self._names)
            ]
            subrequests += [
                {"method": "GET", "url": f"{base}query/?q={quote_plus(statement)}", "referenceId": f"c{number}"}
                for number, statement in enumerate(counts)
            ]
            return sf.restful("composite", method="POST", json={"allOrNone": False, "compositeRequest": subrequests})

        try:  # under the retry policy (a 429 is waited out); when it still fails, each object is described alone
            answer = self._client.call(f"describe {', '.join(self._names)}", composite)
        except ScoreBridgeError:
            return {}
        entries = answer.get("compositeResponse", []) if isinstance(answer, Mapping) else []
        by_reference = {entry.get("referenceId"): entry for entry in entries if isinstance(entry, Mapping)}
        answered = {key: entry["body"] for key, entry in by_reference.items() if _answered(entry)}
        for number, statement in enumerate(counts):
            if f"c{number}" in answered and self._counts:  # one unanswered is simply asked again when needed
                self._counts.keep(statement, answered[f"c{number}"])
        return {name: answered[f"d{number}"] for number, name in enumerate(self._names) if f"d{number}" in answered}


def _answered(entry: Any) -> bool:
    return isinstance(entry, Mapping) and entry.get("httpStatusCode") == 200 and isinstance(entry.get("body"), Mapping)

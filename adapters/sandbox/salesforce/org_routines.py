"""What an org's own automation has done to the imported history: a lead queue and one mass update.

Two things every real org has and a scoring connector must survive:
- **Queues.** New leads often wait in a lead queue until someone takes them; their OwnerId is then a Group
  (Type Queue), not a User (Lead.OwnerId references Group and User). A task for such a lead cannot be assigned
  to the queue: Task.OwnerId references users only.
- **Many records in one second.** A data load or a mass reassignment stamps hundreds of records with the same
  SystemModstamp; Salesforce's audit stamps have whole seconds, so an incremental read whose page ends inside
  that second must neither skip nor endlessly re-read the rest of it.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from adapters.sandbox.salesforce.lead_conversion import add_queue
from adapters.sandbox.salesforce.records import RecordStore
from adapters.sandbox.salesforce.values import format_datetime

LEAD_QUEUE = "Unassigned Leads"
#: The mass update runs this long before the population's "now"; every open lead created before it may be touched.
MASS_UPDATE_AGE = timedelta(days=2)
#: One lead in MASS_UPDATE_SHARE is rewritten by the mass update (a territory realignment).
MASS_UPDATE_SHARE = 2


def apply_org_routines(store: RecordStore, now: datetime) -> dict[str, int]:
    """Create the lead queue, then run the mass update: a share of the open leads get one shared whole-second
    stamp, and the New ones among them move to the queue. Deterministic (ids hashed with crc32)."""
    queue_id = add_queue(store, LEAD_QUEUE)
    moment = (now - MASS_UPDATE_AGE).replace(microsecond=0)
    stamp = format_datetime(moment)
    touched = queued = 0
    for lead in store.rows("Lead"):
        if lead["IsConverted"] or lead["CreatedDate"] >= stamp or _bucket(lead["Id"]) != 0:
            continue
        fields = {"LastModifiedDate": stamp, "SystemModstamp": stamp}
        if lead["Status"] == "New":
            fields["OwnerId"] = queue_id
            queued += 1
        store.update("Lead", lead["Id"], fields, trusted=True)
        touched += 1
    return {"mass_updated": touched, "queued": queued}


def _bucket(record_id: str) -> int:
    return zlib.crc32(record_id.encode()) % MASS_UPDATE_SHARE

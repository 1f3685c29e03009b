"""A Salesforce sync whose write-back is over `write.bulk_threshold`: the scores go out through Bulk API 2.0 ingest
jobs, the CRM holds what the model computes, and a record refused twice (in the job, then in the collection that
sends it again) is in the ledger as failed with Salesforce's error."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlmodel import Session

from connector.store import make_engine, upgrade_store
from connector.store.tables import Contact, WriteLedger
from tests.e2e.conftest import MAPPINGS, open_world
from tests.e2e.test_sync_end_to_end import differences, reference_of


def _bulk_mapping(folder: Path, threshold: int) -> Path:
    document = yaml.safe_load(MAPPINGS["salesforce"].read_text(encoding="utf-8"))
    document["write"] = {"bulk_threshold": threshold, "bulk_poll_seconds": 0}
    path = folder / "salesforce-bulk.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_a_write_back_over_the_threshold_goes_through_ingest_jobs_and_the_ledger_keeps_each_outcome(tmp_path):
    world = open_world("salesforce", tmp_path / "salesforce")
    engine = make_engine(world.config.database_url)
    try:
        upgrade_store(engine)
        mapping = _bulk_mapping(tmp_path, threshold=20)
        world.sandbox.server.stats.reset()
        # The next five record-saving calls: the tasks' insert job (tasks go out before scores, and there are more
        # than the threshold), the collection that sends its locked tasks again, the two score jobs, and the
        # collection that sends the jobs' locked rows again.
        world.fault("reject_share", share=0.1, count=5)

        report = world.sync(engine, mapping=mapping)

        assert report.status == "succeeded", report.message
        routes = world.sandbox.server.stats.snapshot()["by_route"]
        assert routes["sf.bulk2.ingest.create"] == 3  # the tasks' insert, one update for the Leads, one for Contacts
        with Session(engine) as session:
            failed = dict(
                session.execute(
                    select(Contact.crm_id, WriteLedger.last_error)
                    .join(WriteLedger, WriteLedger.contact_id == Contact.id)
                    .where(WriteLedger.last_error.is_not(None))
                ).all()
            )
        assert failed and len(failed) == report.counts["write_failed"]
        assert {error.split(":")[0] for error in failed.values()} == {"UNABLE_TO_LOCK_ROW"}
        expected = reference_of(world, tmp_path / "reference", report.started_at, "first")
        assert set(differences(world, expected)) == set(failed)  # every other record holds the model's values
    finally:
        engine.dispose()
        world.sandbox.server.stop()

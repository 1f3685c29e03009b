"""The one list of CRMs (adapters/registry.py): every entry complete, and everything that names CRMs agrees with it."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from adapters.registry import CRMS, crm_named, crm_names
from adapters.sandbox.cli import Crm
from connector.config import ConnectionConfig
from tests.contract.drivers import DRIVERS

REPO = Path(__file__).resolve().parents[2]


def test_every_registered_crm_runs_the_contract_suite():
    assert set(DRIVERS) == set(crm_names()), "a CRM without a driver would skip tests/contract"


def test_connector_files_accept_exactly_the_registered_crms():
    annotation = ConnectionConfig.model_fields["crm"].annotation
    assert set(typing.get_args(annotation)) == set(crm_names())
    assert {member.value for member in Crm} == set(crm_names())


@pytest.mark.parametrize("kind", CRMS, ids=lambda kind: kind.name)
def test_each_crm_has_a_settings_model_and_a_shipped_mapping_its_loader_reads(kind):
    assert issubclass(kind.settings_model(), BaseModel)
    assert kind.load_mapping(REPO / "mappings" / f"{kind.name}.yaml") is not None


def test_an_unknown_crm_name_is_a_clear_error():
    with pytest.raises(KeyError, match="known: salesforce, hubspot"):
        crm_named("pipedrive")

"""The `accounts:` section of the HubSpot mapping: its shape, plain write-back names typed by target, and one clear
line naming the file and the key for anything wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.hubspot.mapping import load_mapping
from connector.errors import ConfigError
from tests.hubspot.conftest import EXAMPLE_MAPPING


def mapping_with(tmp_path: Path, accounts: object) -> Path:
    document = yaml.safe_load(EXAMPLE_MAPPING.read_text())
    document["accounts"] = accounts
    path = tmp_path / "hubspot.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def refusal(tmp_path: Path, accounts: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load_mapping(mapping_with(tmp_path, accounts))
    return str(caught.value)


def test_the_shipped_mapping_reads_companies_and_writes_every_account_target():
    accounts = load_mapping(EXAMPLE_MAPPING).accounts
    assert accounts is not None and accounts.object == "companies" and accounts.match_leads_by == ()
    assert accounts.fields["employees"] == "numberofemployees" and accounts.fields["is_customer"] == "lifecyclestage"
    assert set(accounts.write_back) == {"score", "fit", "engagement", "grade", "stage", "engaged_contacts", "reasons"}


def test_a_plain_write_back_name_becomes_a_property_typed_by_its_target(tmp_path):
    accounts = {"fields": {"name": "name"}, "write_back": {"score": "acct_score", "grade": "acct_grade"}}
    write_back = load_mapping(mapping_with(tmp_path, accounts)).accounts.write_back
    assert (write_back["score"].type, write_back["score"].field_type) == ("number", "number")
    assert (write_back["grade"].type, write_back["grade"].label) == ("string", "ScoreBridge account grade")


@pytest.mark.parametrize(
    ("accounts", "key", "words"),
    [
        ({"object": "Account", "fields": {"name": "name"}}, "accounts.object", "'companies'"),
        ({"fields": {"name": "name"}, "colour": "red"}, "accounts.colour", "Extra inputs"),
        ({"fields": {"headcount": "numberofemployees"}}, "accounts.fields", "unknown ScoreBridge account fields"),
        ({"fields": {"name": "name"}, "match_leads_by": ["email"]}, "accounts.match_leads_by.0", "'domain'"),
        ({"fields": {"name": "name"}, "write_back": {"lead": "x_lead"}}, "accounts.write_back", "target 'lead'"),
        ({"fields": {"is_customer": {"property": "lifecyclestage", "valuez": {}}}}, "accounts",
         "fields.is_customer.valuez: Extra inputs"),
        ({"fields": {"name": "name"}, "write_back": {"score": {"name": "s", "label": "S", "type": "date"}}},
         "accounts.write_back", "score holds a number"),
    ],
)  # fmt: skip
def test_a_wrong_accounts_section_is_one_line_naming_the_file_and_the_key(tmp_path, accounts, key, words):
    message = refusal(tmp_path, accounts)
    assert message.startswith(f"{tmp_path / 'hubspot.yaml'}: {key}") and words in message
    assert "\n" not in message

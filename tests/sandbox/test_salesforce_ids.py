"""Salesforce record ids in the sandbox: key prefixes and the 18-character checksum."""

from __future__ import annotations

import pytest

from adapters.sandbox.salesforce.ids import IdFactory, checksum_suffix, is_well_formed, to_18


def test_checksum_matches_the_id_in_salesforces_own_query_docs():
    assert to_18("001D000000IRFma") == "001D000000IRFmaIAH"


@pytest.mark.parametrize(
    ("id15", "suffix"), [("00Q000000000000", "EAA"), ("000000000000000", "AAA"), ("ABCDEABCDEABCDE", "555")]
)
def test_checksum_sets_one_bit_per_upper_case_letter_in_each_block_of_five(id15, suffix):
    assert checksum_suffix(id15) == suffix


def test_ids_carry_the_object_key_prefix_and_a_valid_checksum():
    factory = IdFactory()
    lead_id, contact_id = factory.new_id("00Q"), factory.new_id("003")
    assert lead_id.startswith("00Q") and contact_id.startswith("003")
    assert len(lead_id) == 18 and is_well_formed(lead_id) and lead_id != contact_id


def test_an_id_with_a_wrong_checksum_is_not_well_formed():
    assert not is_well_formed("001D000000IRFmaAAA")
    assert not is_well_formed("not-an-id")


def test_factory_resumes_after_the_highest_id_it_made():
    made = IdFactory().new_id("00Q")
    assert IdFactory(start=IdFactory.sequence_of(made) + 1).new_id("00Q") != made

"""Sandbox state files: round trips, the CRM they belong to, and atomic replacement."""

from __future__ import annotations

import json
import os

import pytest

from adapters.sandbox.state import load_state, save_state
from connector.errors import InputError

STATE = {"store": {"Lead": [{"Id": "00Q000000000001AAA", "LastName": "Zoë"}]}, "api_usage": 12}


@pytest.mark.parametrize("name", ["org.json", "org.json.gz"])
def test_saved_state_loads_back_unchanged(tmp_path, name):
    save_state(tmp_path / name, "salesforce", STATE)
    assert load_state(tmp_path / name, "salesforce") == STATE


def test_gz_state_is_compressed(tmp_path):
    save_state(tmp_path / "org.json.gz", "salesforce", STATE)
    assert (tmp_path / "org.json.gz").read_bytes()[:2] == b"\x1f\x8b"


def test_missing_state_file_means_start_afresh(tmp_path):
    assert load_state(tmp_path / "absent.json", "hubspot") is None


def test_state_of_another_crm_is_refused(tmp_path):
    save_state(tmp_path / "portal.json", "hubspot", {"objects": {}})
    with pytest.raises(InputError, match="holds a hubspot sandbox, not salesforce"):
        load_state(tmp_path / "portal.json", "salesforce")


@pytest.mark.parametrize("content", ["{not json", '{"some": "other file"}', "[1, 2]"])
def test_a_file_that_is_not_a_state_file_is_refused_with_its_name(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(InputError, match=r"state\.json"):
        load_state(path, "hubspot")


def test_saving_replaces_the_old_state_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "deep" / "state.json"
    save_state(path, "hubspot", {"version": 1})
    save_state(path, "hubspot", {"version": 2})
    assert load_state(path, "hubspot") == {"version": 2}
    assert os.listdir(path.parent) == ["state.json"]


def test_a_failed_save_keeps_the_previous_state(tmp_path):
    path = tmp_path / "state.json"
    save_state(path, "hubspot", {"version": 1})
    with pytest.raises(TypeError):
        save_state(path, "hubspot", {"version": object()})  # not JSON-able: fails mid-write
    assert json.loads(path.read_text())["state"] == {"version": 1}
    assert os.listdir(tmp_path) == ["state.json"]

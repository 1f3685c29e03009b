"""Settings name where secrets live and never hold them in the clear; the mapping is validated at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.hubspot.mapping import load_mapping
from adapters.hubspot.settings import HubSpotSettings, read_credentials
from connector.errors import ConfigError


def test_a_private_app_token_is_read_from_the_named_environment_variable_and_never_printed():
    settings = HubSpotSettings.from_config({"access_token": {"env": "HS_TOKEN"}})
    credentials = read_credentials(settings, {"HS_TOKEN": "pat-na1-secret"})
    assert credentials.access_token.get_secret_value() == "pat-na1-secret"
    assert "pat-na1-secret" not in repr(credentials) + str(credentials)


def test_oauth_secrets_are_read_from_files(tmp_path: Path):
    (tmp_path / "refresh").write_text("refresh-secret\n")
    (tmp_path / "client").write_text("client-secret")
    settings = HubSpotSettings.from_config(
        {
            "auth": "oauth",
            "client_id": "app-1",
            "refresh_token": {"file": str(tmp_path / "refresh")},
            "client_secret": {"file": str(tmp_path / "client")},
        }
    )
    credentials = read_credentials(settings, {})
    assert credentials.oauth.refresh_token.get_secret_value() == "refresh-secret"
    assert credentials.access_token is None


def test_an_unset_variable_is_a_config_error_naming_it():
    settings = HubSpotSettings.from_config({"access_token": {"env": "HS_TOKEN"}})
    with pytest.raises(ConfigError, match="HS_TOKEN"):
        read_credentials(settings, {})


def test_oauth_without_its_client_secret_is_refused_at_start():
    with pytest.raises(ConfigError, match="refresh_token, client_id and client_secret"):
        HubSpotSettings.from_config({"auth": "oauth", "client_id": "x", "refresh_token": {"env": "R"}})


def test_an_unknown_setting_names_its_key():
    with pytest.raises(ConfigError, match=r"settings\.burst_limitt"):
        HubSpotSettings.from_config({"access_token": {"env": "T"}, "burst_limitt": 190})


def test_the_example_mapping_is_valid_and_asks_for_the_cursor_properties():
    mapping = load_mapping(Path(__file__).resolve().parents[2] / "mappings" / "hubspot.yaml")
    assert {"hs_lastmodifieddate", "hs_object_id", "lifecyclestage"} <= set(mapping.contact_properties())


def test_a_mapping_naming_an_unknown_scorebridge_field_is_a_config_error(tmp_path: Path):
    path = tmp_path / "hubspot.yaml"
    path.write_text("contact:\n  properties: {favourite_colour: color}\nwrite_back:\n  properties: {}\n")
    with pytest.raises(ConfigError, match="favourite_colour") as raised:
        load_mapping(path)
    assert str(path) in str(raised.value)

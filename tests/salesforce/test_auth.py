"""Logging in: JWT bearer, OAuth password flow, and secrets kept out of logs and messages."""

import logging
from datetime import UTC, datetime
from urllib.parse import parse_qs

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.salesforce.auth import JWT_GRANT, Authenticator
from adapters.salesforce.settings import SalesforceSettings, load_settings
from connector.errors import AuthError, ConfigError
from tests.salesforce.conftest import INSTANCE

LOGIN = "https://login.salesforce.com"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
REFUSED = {"error": "invalid_grant", "error_description": "authentication failure"}


@pytest.fixture(scope="module")
def rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode(), key.public_key()


def _jwt_settings(tmp_path, pem):
    key_file = tmp_path / "server.key"
    key_file.write_text(pem)
    return SalesforceSettings(
        auth="jwt_bearer", username="integration@acme.com", consumer_key="3MVG9key", private_key={"file": key_file}
    )


PASSWORD_ENV = {"SF_PASSWORD": "Hunter2-secret", "SF_TOKEN": "tok3nXYZ", "SF_CLIENT_SECRET": "c1ient-s3cret"}


def _password_settings():
    return SalesforceSettings(
        auth="password",
        username="integration@acme.com",
        consumer_key="3MVG9key",
        consumer_secret={"env": "SF_CLIENT_SECRET"},
        password={"env": "SF_PASSWORD"},
        security_token={"env": "SF_TOKEN"},
    )


@responses.activate
def test_jwt_bearer_login_sends_a_signed_assertion_for_the_user(tmp_path, rsa_key):
    pem, public_key = rsa_key
    responses.add("POST", TOKEN_URL, json={"access_token": "00Dtoken", "instance_url": INSTANCE})
    token = Authenticator(_jwt_settings(tmp_path, pem), requests.Session(), clock=lambda: NOW).login()
    form = parse_qs(responses.calls[0].request.body)
    assert form["grant_type"] == [JWT_GRANT]
    claims = jwt.decode(
        form["assertion"][0], public_key, algorithms=["RS256"], audience=LOGIN, options={"verify_exp": False}
    )
    assert (claims["iss"], claims["sub"]) == ("3MVG9key", "integration@acme.com")
    assert claims["exp"] == int(NOW.timestamp()) + 180
    assert (token.instance_url, token.access_token.get_secret_value()) == (INSTANCE, "00Dtoken")


@responses.activate
def test_password_login_appends_the_security_token_to_the_password():
    responses.add("POST", TOKEN_URL, json={"access_token": "00Dtoken", "instance_url": INSTANCE})
    Authenticator(_password_settings(), requests.Session(), environ=PASSWORD_ENV).login()
    form = parse_qs(responses.calls[0].request.body)
    assert form["password"] == ["Hunter2-secrettok3nXYZ"] and form["grant_type"] == ["password"]


@responses.activate
def test_refused_credentials_stop_with_a_clear_message_and_no_secret_in_logs(caplog):
    responses.add("POST", TOKEN_URL, status=400, json=REFUSED)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as refused:
        Authenticator(_password_settings(), requests.Session(), environ=PASSWORD_ENV).login()
    message = str(refused.value)
    assert "invalid_grant" in message and LOGIN in message and "check the username" in message
    for secret in PASSWORD_ENV.values():
        assert secret not in message
        assert secret not in caplog.text
        assert secret not in repr(refused.value.__dict__)


@responses.activate
def test_refused_jwt_login_leaks_no_key_material(tmp_path, rsa_key, caplog):
    pem, _ = rsa_key
    responses.add("POST", TOKEN_URL, status=400, json=REFUSED)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as refused:
        Authenticator(_jwt_settings(tmp_path, pem), requests.Session(), clock=lambda: NOW).login()
    key_body = pem.splitlines()[1]
    assert key_body not in str(refused.value) and key_body not in caplog.text


def test_a_key_that_is_not_pem_is_a_config_error_that_does_not_echo_it(tmp_path):
    settings = _jwt_settings(tmp_path, "not-a-key-but-a-secret-anyway")
    with pytest.raises(ConfigError) as bad:
        Authenticator(settings, requests.Session(), clock=lambda: NOW).login()
    assert "settings.private_key" in str(bad.value) and "secret-anyway" not in str(bad.value)


def test_a_missing_secret_variable_is_named():
    with pytest.raises(ConfigError, match="SF_PASSWORD is empty or unset"):
        Authenticator(_password_settings(), requests.Session(), environ={}).login()


def test_each_auth_mode_says_what_it_is_missing():
    with pytest.raises(ConfigError, match="auth `session` needs instance_url, session_id"):
        load_settings({"auth": "session"})


def test_secret_values_are_hidden_when_settings_are_printed():
    settings = _password_settings()
    secret = settings.secret("password", PASSWORD_ENV)
    assert "Hunter2" not in repr(secret) and "Hunter2" not in str(settings)

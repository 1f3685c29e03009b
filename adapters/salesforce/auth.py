"""Logging in to Salesforce: JWT bearer, OAuth username-password, or a session id handed to us.

We make the OAuth token request ourselves rather than through simple-salesforce because its login URLs are
always ``https://{domain}.salesforce.com`` (API_FACTS §B), which cannot reach a private endpoint or the local
sandbox. The token response names the instance; simple-salesforce is then built on that session id.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import jwt
import requests
from pydantic import SecretStr

from adapters.salesforce.errors import classify_token_error, classify_transport
from adapters.salesforce.settings import SalesforceSettings
from connector.errors import AuthError, ConfigError

log = logging.getLogger(__name__)

TOKEN_PATH = "/services/oauth2/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Salesforce accepts a JWT assertion for at most three minutes after `exp` is set.
JWT_LIFETIME = timedelta(minutes=3)


@dataclass(frozen=True)
class SalesforceToken:
    """A session: the bearer token and the instance it is valid on."""

    instance_url: str
    access_token: SecretStr = field(repr=False)


class Authenticator:
    """Obtains session tokens for one connection; `login()` may be called again when a session expires."""

    def __init__(
        self,
        settings: SalesforceSettings,
        http: requests.Session,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._http = http
        self._environ = os.environ if environ is None else environ
        self._clock = clock

    @property
    def can_refresh(self) -> bool:
        """A handed-in session id cannot be renewed by us; the OAuth flows can."""
        return self._settings.auth != "session"

    def login(self) -> SalesforceToken:
        mode = self._settings.auth
        if mode == "session":
            return self._given_session()
        form = self._jwt_form() if mode == "jwt_bearer" else self._password_form()
        return self._request_token(form)

    def _given_session(self) -> SalesforceToken:
        token = self._settings.secret("session_id", self._environ)
        assert token is not None and self._settings.instance_url is not None
        return SalesforceToken(instance_url=self._settings.instance_url, access_token=token)

    def _jwt_form(self) -> dict[str, str]:
        key = self._settings.secret("private_key", self._environ)
        assert key is not None
        now = self._clock()
        claims = {
            "iss": self._settings.consumer_key,
            "sub": self._settings.username,
            "aud": self._settings.login_url.rstrip("/"),
            "exp": int((now + JWT_LIFETIME).timestamp()),
        }
        try:
            assertion = jwt.encode(claims, key.get_secret_value(), algorithm="RS256")
        except (ValueError, TypeError, jwt.PyJWTError):
            # The library's message may quote the key material; say only what to fix.
            raise ConfigError("the private key is not a PEM RSA private key", key="settings.private_key") from None
        return {"grant_type": JWT_GRANT, "assertion": assertion}

    def _password_form(self) -> dict[str, str]:
        secret = self._settings.secret
        password = secret("password", self._environ)
        client_secret = secret("consumer_secret", self._environ)
        security_token = secret("security_token", self._environ)
        assert password is not None and client_secret is not None
        suffix = security_token.get_secret_value() if security_token else ""
        return {
            "grant_type": "password",
            "client_id": self._settings.consumer_key or "",
            "client_secret": client_secret.get_secret_value(),
            "username": self._settings.username or "",
            "password": password.get_secret_value() + suffix,
        }

    def _request_token(self, form: dict[str, str]) -> SalesforceToken:
        login_url = self._settings.login_url.rstrip("/")
        log.info("logging in to Salesforce at %s (%s)", login_url, self._settings.auth)
        try:
            response = self._http.post(login_url + TOKEN_PATH, data=form, timeout=self._settings.timeout_seconds)
        except requests.RequestException as error:
            raise classify_transport(error, what=f"login at {login_url}") from None
        body = _json_or_text(response)
        if response.status_code != 200:
            raise classify_token_error(response.status_code, body, login_url=login_url)
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("instance_url"):
            raise AuthError(f"Salesforce login at {login_url} answered without access_token/instance_url")
        return SalesforceToken(instance_url=body["instance_url"], access_token=SecretStr(body["access_token"]))


def _json_or_text(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text[:300]

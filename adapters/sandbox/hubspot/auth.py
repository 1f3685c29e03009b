"""Who may call the portal: private-app tokens, and OAuth access tokens issued from refresh tokens."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters.sandbox.http import Response
from adapters.sandbox.hubspot.wire import Clock, error_body

#: HubSpot's OAuth access tokens live 30 minutes (developers.hubspot.com/docs/api/oauth/tokens).
DEFAULT_TOKEN_LIFETIME = timedelta(minutes=30)


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str
    refresh_token: str


@dataclass(frozen=True)
class Caller:
    token: str
    oauth: bool


class TokenBook:
    """Valid tokens and why a token is refused; `expire_all` and `revoke_private` serve fault injection."""

    def __init__(self, private_tokens: list[str], oauth: OAuthClient, clock: Clock, lifetime: timedelta) -> None:
        self.oauth_client = oauth
        self._private = set(private_tokens)
        self._revoked: set[str] = set()
        self._issued: dict[str, datetime] = {}
        self._clock = clock
        self.lifetime = lifetime
        self._lock = threading.Lock()

    def authenticate(self, token: str | None) -> Caller | Response:
        """The caller, or HubSpot's 401 for a missing, unknown, revoked or expired token."""
        if not token:
            return _unauthorized(
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
                "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
            )
        if token in self._private:
            if token in self._revoked:
                return _unauthorized("The private app access token used to make this call has been revoked.")
            return Caller(token, oauth=False)
        expires = self._issued.get(token)
        if expires is None:
            return _unauthorized("The access token provided is invalid.")
        now = self._clock()
        if now >= expires:
            seconds = int((now - expires).total_seconds())
            return _unauthorized(
                f"The OAuth token used to make this call expired {seconds} second(s) ago.",
                category="EXPIRED_AUTHENTICATION",
            )
        return Caller(token, oauth=True)

    def refresh(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """`POST /oauth/v1/token` with `grant_type=refresh_token`: a new access token, or HubSpot's 400 body."""
        client = self.oauth_client
        if form.get("grant_type") != "refresh_token":
            return 400, _oauth_error("BAD_GRANT_TYPE", "grant_type must be refresh_token in this sandbox")
        if form.get("client_id") != client.client_id:
            return 400, _oauth_error("BAD_CLIENT_ID", "missing or invalid client_id")
        if form.get("client_secret") != client.client_secret:
            return 400, _oauth_error("BAD_CLIENT_SECRET", "missing or invalid client_secret")
        if form.get("refresh_token") != client.refresh_token:
            return 400, _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        token = "sandbox-oauth-" + secrets.token_hex(16)
        with self._lock:
            self._issued[token] = self._clock() + self.lifetime
        body = {
            "access_token": token,
            "refresh_token": client.refresh_token,
            "expires_in": int(self.lifetime.total_seconds()),
            "token_type": "bearer",
        }
        return 200, body

    def expire_all(self) -> None:
        with self._lock:
            now = self._clock()
            self._issued = {token: min(expiry, now) for token, expiry in self._issued.items()}

    def revoke_private(self) -> None:
        self._revoked = set(self._private)

    def forget_issued(self) -> None:
        with self._lock:
            self._issued.clear()

    def clear_faults(self) -> None:
        self._revoked = set()


def _unauthorized(message: str, *, category: str = "INVALID_AUTHENTICATION") -> Response:
    return Response.json(401, error_body(message, category))


def _oauth_error(status: str, message: str) -> dict[str, Any]:
    body = error_body(message, "BAD_REQUEST")
    body["status"] = status
    return body

"""OAuth2 sessions: the token endpoint's grants, bearer tokens that idle out, and the daily API request counter."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from adapters.sandbox.salesforce.api_errors import ApiError

ORG_ID = "00D5g000004SbOxEAK"
PASSWORD_GRANT = "password"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Credentials:
    """What the token endpoint accepts: a connected app and one integration user."""

    username: str = "integration@scorebridge.sandbox"
    password: str = "sandbox-password"
    client_id: str = "scorebridge-sandbox-client"
    client_secret: str = "scorebridge-sandbox-secret"


class OAuthError(Exception):
    """The token endpoint's own error shape: ``{"error", "error_description"}`` with HTTP 400."""

    def __init__(self, error: str, description: str) -> None:
        self.body = {"error": error, "error_description": description}
        super().__init__(f"{error}: {description}")


class SessionRegistry:
    """Bearer tokens and when each was last used; a token idle longer than `timeout` is expired."""

    def __init__(self, clock: Callable[[], datetime], timeout: timedelta, credentials: Credentials) -> None:
        self._clock = clock
        self.timeout = timeout
        self.credentials = credentials
        self._last_used: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def issue(self) -> str:
        token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(72)}"
        with self._lock:
            self._last_used[token] = self._clock()
        return token

    def admit(self, token: str | None) -> None:
        """Refresh a live token's idle timer, or raise 401 INVALID_SESSION_ID."""
        now = self._clock()
        with self._lock:
            last = self._last_used.get(token or "")
            if last is None or now - last > self.timeout:
                self._last_used.pop(token or "", None)
                raise ApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")
            self._last_used[token or ""] = now

    def expire_all(self) -> None:
        with self._lock:
            self._last_used.clear()

    def grant(self, form: Mapping[str, str], instance_url: str, user_id: str) -> dict[str, Any]:
        """Answer a token request (username-password or JWT bearer flow) like /services/oauth2/token."""
        grant_type = form.get("grant_type")
        if grant_type == PASSWORD_GRANT:
            self._check_password_grant(form)
        elif grant_type == JWT_GRANT:
            self._check_jwt_grant(form.get("assertion", ""))
        else:
            raise OAuthError("unsupported_grant_type", "grant type not supported")
        token = self.issue()
        issued_at = str(int(self._clock().timestamp() * 1000))
        identity = f"{instance_url}/id/{ORG_ID}/{user_id}"
        body = {
            "access_token": token,
            "instance_url": instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "scope": "api",
        }
        if grant_type == PASSWORD_GRANT:
            digest = hmac.new(self.credentials.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256)
            body["signature"] = base64.b64encode(digest.digest()).decode()
        return body

    def _check_password_grant(self, form: Mapping[str, str]) -> None:
        expected = self.credentials
        if form.get("client_id") != expected.client_id or form.get("client_secret") != expected.client_secret:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if form.get("username") != expected.username or form.get("password") != expected.password:
            raise OAuthError("invalid_grant", "authentication failure")

    def _check_jwt_grant(self, assertion: str) -> None:
        # The signature is not checked: the sandbox has no certificate uploaded to a connected app.
        # PyJWT checks no claim once signature checking is off, and it would read the wall clock anyway: `exp` is
        # checked here against the org clock. Salesforce requires it and refuses a passed one with "expired
        # authorization code" (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm).
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise OAuthError("invalid_grant", "invalid assertion") from error
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise OAuthError("invalid_grant", "invalid assertion")
        if expires < self._clock().timestamp():
            raise OAuthError("invalid_grant", "expired authorization code")
        if claims.get("iss") != self.credentials.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if claims.get("sub") != self.credentials.username:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")


class DailyApiCounter:
    """Requests counted against the org's daily allocation; past `limit`, 403 REQUEST_LIMIT_EXCEEDED."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._before_exhaust: int | None = None
        self._lock = threading.Lock()

    def spend(self) -> int:
        with self._lock:
            if self.used >= self.limit:
                raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.used += 1
            return self.used

    def exhaust(self) -> None:
        """The "daily_limit" fault: use up what is left, remembering the real count for `unexhaust`."""
        with self._lock:
            if self._before_exhaust is None:
                self._before_exhaust = self.used
            self.used = self.limit

    def unexhaust(self) -> None:
        with self._lock:
            if self._before_exhaust is not None:
                self.used, self._before_exhaust = self._before_exhaust, None

    def header(self) -> str:
        # api-usage must come first: simple-salesforce parses it with re.match(r'[^-]?api-usage=(\d+)/(\d+)').
        return f"api-usage={self.used}/{self.limit}"

"""HubSpot connection settings: where the portal is, how we authenticate, and how much of its API we may use.

Secrets never sit in the configuration itself: it names an environment variable or a file that holds each one,
and they are read once, into `SecretStr`, so they print as ``**********`` in logs, reprs and errors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from adapters.secrets import CONFIG_FOLDER, ConfigPath, SecretSource
from connector.errors import ConfigError

DEFAULT_HOST = "https://api.hubapi.com"


class HubSpotSettings(BaseModel):
    """The ``settings:`` block of a HubSpot connection in ``connector.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: Literal["private_app", "oauth"] = "private_app"
    host: str = DEFAULT_HOST
    #: Private app: the access token. OAuth: optional current access token (refreshed on the first 401).
    access_token: SecretSource | None = None
    refresh_token: SecretSource | None = None
    client_id: str | None = None
    client_secret: SecretSource | None = None
    #: Requests per rolling 10 s allowed to this app: 100 (Free/Starter), 190 (Pro/Enterprise), 250 (limit increase).
    burst_limit: int = Field(default=100, gt=0)
    burst_window_seconds: float = Field(default=10.0, gt=0)
    #: HubSpot search endpoints allow five requests per second per account.
    search_per_second: int = Field(default=5, gt=0)
    #: Each request keeps its place in our windows this much longer than the window itself (clock granularity,
    #: the portal's own clock); the cost is this much per window of requests.
    rate_margin_seconds: float = Field(default=0.05, ge=0)
    #: Requests in flight at once, all through the one limiter: activity sources read at once, a stream's next page
    #: read while the current one is stored, write batches sent together. 1: strictly one call after another.
    concurrent_requests: int = Field(default=4, ge=1, le=16)
    #: The portal's daily allocation; the X-HubSpot-RateLimit-Daily header overrides it when the portal sends it.
    daily_limit: int | None = Field(default=None, gt=0)
    #: Stop (LimitReachedError) once this share of the daily allocation is used, leaving the rest to other apps.
    daily_share: float = Field(default=0.9, gt=0, le=1)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    #: Re-read this much before the bookmark: HubSpot's search index lags writes by "a few moments".
    lookback_seconds: int = Field(default=300, ge=0)
    ca_bundle: ConfigPath | None = None

    @model_validator(mode="after")
    def _credentials_named(self) -> HubSpotSettings:
        if self.auth == "private_app" and self.access_token is None:
            raise ValueError("auth private_app needs access_token: {env: NAME} or {file: PATH}")
        if self.auth == "oauth" and not (self.refresh_token and self.client_id and self.client_secret):
            raise ValueError("auth oauth needs refresh_token, client_id and client_secret")
        return self

    @classmethod
    def from_config(
        cls, values: Mapping[str, object], *, source: str | None = None, folder: Path | None = None
    ) -> HubSpotSettings:
        """Validate the block; relative paths (secret files, the CA bundle) are read from `folder`."""
        try:
            return cls.model_validate(dict(values), context={CONFIG_FOLDER: folder})
        except ValidationError as error:
            first = error.errors()[0]
            key = "settings." + ".".join(str(part) for part in first["loc"]) if first["loc"] else "settings"
            raise ConfigError(first["msg"], source=source, key=key) from None


@dataclass(frozen=True)
class OAuthApp:
    """What the token endpoint needs to mint a new access token."""

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr


@dataclass(frozen=True)
class Credentials:
    """The secrets, read once; `oauth` is set when an expired access token can be refreshed."""

    access_token: SecretStr | None
    oauth: OAuthApp | None = None


def read_credentials(settings: HubSpotSettings, environ: Mapping[str, str] | None = None) -> Credentials:
    """Read every secret the settings name; a missing one is a ConfigError naming the variable or file."""
    env = os.environ if environ is None else environ
    token = settings.access_token.read(env, key="settings.access_token") if settings.access_token else None
    if settings.auth == "private_app":
        return Credentials(access_token=token)
    assert settings.refresh_token and settings.client_secret and settings.client_id
    app = OAuthApp(
        client_id=settings.client_id,
        client_secret=settings.client_secret.read(env, key="settings.client_secret"),
        refresh_token=settings.refresh_token.read(env, key="settings.refresh_token"),
    )
    return Credentials(access_token=token, oauth=app)

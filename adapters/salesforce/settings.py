"""Connection settings for one Salesforce org: how to authenticate, where, and how hard to push the API.

They come from the `settings:` block of a connection in `connector.yaml`. Secrets never sit in that file: each one
names an environment variable (`env:`) or a file (`file:`) that holds it, and is read into a `SecretStr`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from adapters.salesforce.retry import RetrySettings
from adapters.secrets import CONFIG_FOLDER, ConfigPath, SecretSource
from connector.errors import ConfigError

AuthMode = Literal["jwt_bearer", "password", "session"]

#: Which settings each auth mode needs, so a missing one is reported by name before any call is made.
REQUIRED_BY_MODE: Mapping[str, tuple[str, ...]] = {
    "jwt_bearer": ("username", "consumer_key", "private_key"),
    "password": ("username", "consumer_key", "consumer_secret", "password"),
    "session": ("instance_url", "session_id"),
}


class SalesforceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: AuthMode = "jwt_bearer"
    #: Where OAuth token requests go: login.salesforce.com, test.salesforce.com or a My Domain URL.
    login_url: str = "https://login.salesforce.com"
    #: Required for `session`; for the other modes the token response names the instance.
    instance_url: str | None = None
    username: str | None = None
    consumer_key: str | None = None
    consumer_secret: SecretSource | None = None
    private_key: SecretSource | None = None
    password: SecretSource | None = None
    #: Appended to the password for the OAuth password flow unless the org trusts the caller's IP range.
    security_token: SecretSource | None = None
    session_id: SecretSource | None = None
    #: A PEM bundle to trust instead of the system store (private endpoints, the local sandbox).
    ca_bundle: ConfigPath | None = None
    api_version: str = Field(default="59.0", pattern=r"^\d+\.\d$")
    timeout_seconds: float = Field(default=120.0, gt=0)
    #: Stop taking new work once this share of the org's daily API allocation is used.
    daily_limit_share: float = Field(default=0.8, gt=0, le=1)
    max_attempts: int = Field(default=5, ge=1)
    max_wait_seconds: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _mode_has_what_it_needs(self) -> SalesforceSettings:
        missing = [name for name in REQUIRED_BY_MODE[self.auth] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"auth `{self.auth}` needs {', '.join(missing)}")
        return self

    @property
    def retry(self) -> RetrySettings:
        return RetrySettings(max_attempts=self.max_attempts, max_wait_seconds=self.max_wait_seconds)

    def secret(self, name: str, environ: Mapping[str, str] | None = None) -> SecretStr | None:
        source: SecretSource | None = getattr(self, name)
        if source is None:
            return None
        return source.read(os.environ if environ is None else environ, key=f"settings.{name}")


def load_settings(
    raw: Mapping[str, Any], *, source: str = "connector.yaml", folder: Path | None = None
) -> SalesforceSettings:
    """Validate a connection's `settings:` block (relative paths read from `folder`); a problem names the key."""
    try:
        return SalesforceSettings.model_validate(dict(raw), context={CONFIG_FOLDER: folder})
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in ("settings", *first["loc"]))
        raise ConfigError(first["msg"], source=source, key=key) from None

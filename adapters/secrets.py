"""Where a secret lives in a connection's settings: an environment variable or a file, never the config itself.

Both adapters read their credentials through this, once, into `SecretStr`, which prints as ``**********`` in
logs, reprs and errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

from connector.errors import ConfigError


class SecretSource(BaseModel):
    """One secret: ``{env: NAME}`` or ``{file: PATH}`` (a mounted Kubernetes or Docker secret)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretSource:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of `env` or `file`")
        return self

    def read(self, environ: Mapping[str, str], *, key: str) -> SecretStr:
        """The secret's value; surrounding whitespace (a file's final newline) is not part of it."""
        if self.env is not None:
            value = environ.get(self.env, "").strip()
            if not value:
                raise ConfigError(f"environment variable {self.env} is empty or unset", key=key)
            return SecretStr(value)
        assert self.file is not None
        try:
            value = self.file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"cannot read secret file {self.file}: {error.strerror}", key=key) from None
        if not value:
            raise ConfigError(f"secret file {self.file} is empty", key=key)
        return SecretStr(value)

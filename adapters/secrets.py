"""Where a secret lives in a connection's settings: an environment variable or a file, never the config itself.

Both adapters read their credentials through this, once, into `SecretStr`, which prints as ``**********`` in
logs, reprs and errors. A relative file path (a secret, a CA bundle) is read from the connector file's folder,
which the adapter passes as the validation context `{CONFIG_FOLDER: folder}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, SecretStr, ValidationInfo, model_validator

from connector.errors import ConfigError

#: The validation-context key holding the connector file's folder.
CONFIG_FOLDER = "config_folder"


def _beside_connector_file(path: Path, info: ValidationInfo) -> Path:
    folder = (info.context or {}).get(CONFIG_FOLDER)
    return path if folder is None or path.is_absolute() else Path(folder) / path


#: A path written in a connector file: relative ones are read from the file's folder, not the working directory.
ConfigPath = Annotated[Path, AfterValidator(_beside_connector_file)]


class SecretSource(BaseModel):
    """One secret: ``{env: NAME}`` or ``{file: PATH}`` (a mounted Kubernetes or Docker secret)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    env: str | None = None
    file: ConfigPath | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_the_secret_itself(cls, value: object) -> object:
        if isinstance(value, str):  # the message never repeats the value: it is the secret
            raise ValueError(
                "a secret is never written in the connector file; put it in an environment variable or a file "
                "and write {env: NAME} or {file: PATH} here"
            )
        return value

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

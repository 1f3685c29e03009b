"""The connector configuration (`connector.yaml`): connections, schedules, store and service settings.

Values come from the YAML file, then `SCOREBRIDGE_...` environment variables override them (nested keys with
`__`, e.g. `SCOREBRIDGE_SERVICE__PORT=9000`). Secrets never live here: adapter settings name the environment
variables or files that hold them.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connector.defaults import default_model_path
from connector.errors import ConfigError
from connector.task_text import TaskTemplates


class Schedule(BaseModel):
    """When the service runs a connection: every N minutes, or a five-field cron expression (UTC)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval_minutes: float | None = Field(default=None, gt=0)
    cron: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        if (self.interval_minutes is None) == (self.cron is None):
            raise ValueError("give exactly one of interval_minutes or cron")
        return self


class TaskPolicy(BaseModel):
    """How follow-up tasks for sales are created when a contact reaches a notifying stage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    due_in_days: int = Field(default=1, ge=0)
    #: Assign every task to this CRM user or queue id instead of the record owner.
    assign_to: str | None = None
    #: Only transitions whose triggering activity is this recent become tasks; older ones (the history a first
    #: sync finds in an existing org) are recorded in the outbox as "historic" and never sent. null: no limit.
    recent_days: int | None = Field(default=7, ge=0)
    #: The subject and body of each kind of task (Jinja2, checked when this file loads; docs/tasks.md).
    templates: TaskTemplates = TaskTemplates()


class FollowUpPolicy(BaseModel):
    """What happens to a task nobody works: its state is read back, and past `sla_hours` it is escalated once.

    docs/task-followup.md explains each setting with the API calls it costs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Hours from a task's creation in the CRM until it counts as unworked. null: tasks are not followed up.
    sla_hours: float | None = Field(default=None, gt=0)
    #: manager: a new task for the owner's manager; reassign: the task itself goes to the manager; none: only
    #: completions are recorded.
    escalate: Literal["manager", "reassign", "none"] = "manager"
    #: Who gets an escalation when the owner has no manager: a Salesforce User id (fallback for users without a
    #: ManagerId), or the HubSpot owner id that stands for every owner's manager (HubSpot has no manager field).
    escalate_to: str | None = None

    @property
    def escalates(self) -> bool:
        return self.sla_hours is not None and self.escalate != "none"


#: The shape of an escalation target per CRM: a Salesforce User id (prefix 005), a numeric HubSpot owner id.
ESCALATION_TARGETS = {
    "salesforce": (r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$", "a Salesforce User id (005...)"),
    "hubspot": (r"^[0-9]{1,20}$", "a numeric HubSpot owner id (Settings > Users & Teams, or GET /crm/v3/owners)"),
}


class ConnectionConfig(BaseModel):
    """One CRM org or portal: which adapter, its mapping, model, schedule and connection settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    crm: Literal["salesforce", "hubspot"]
    mapping: Path
    model: Path | None = None
    schedule: Schedule = Schedule(interval_minutes=15)
    tasks: TaskPolicy = TaskPolicy()
    follow_up: FollowUpPolicy = FollowUpPolicy()
    #: Adapter settings (auth mode, env vars naming secrets, CA bundle, limits); the adapter validates them.
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("follow_up")
    @classmethod
    def _escalation_target(cls, policy: FollowUpPolicy, info: ValidationInfo) -> FollowUpPolicy:
        crm = info.data.get("crm")
        if crm not in ESCALATION_TARGETS:
            return policy  # the crm key itself is wrong: that is the error to show
        pattern, what = ESCALATION_TARGETS[crm]
        if policy.escalate_to is not None and not re.match(pattern, policy.escalate_to):
            raise ValueError(f"escalate_to {policy.escalate_to!r} is not {what}")
        if crm == "hubspot" and policy.escalates and policy.escalate_to is None:
            raise ValueError(
                f"escalate_to is required with escalate: {policy.escalate} on HubSpot, which has no manager field: "
                f"give {what}, or escalate: none"
            )
        return policy


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: Loopback unless set: /metrics and /readyz tell anyone who can reach them about the store and the runs.
    #: A container sets 0.0.0.0 (deploy/connector.yaml) so that its port mapping or probe can reach them.
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    #: /readyz fails once the last successful run of a connection is older than this.
    ready_max_failing_seconds: int = Field(default=3600, gt=0)


class ConnectorConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCOREBRIDGE_", env_nested_delimiter="__", extra="forbid")

    database_url: str | None = None
    #: None: mappings/scoring.yaml beside this file when there is one, else the model shipped in the package.
    model: Path | None = None
    service: ServiceConfig = ServiceConfig()
    connections: list[ConnectionConfig] = Field(default_factory=list)
    #: The file this configuration was read from; relative paths inside it are resolved against its folder.
    source_path: Path | None = Field(default=None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first so that it overrides what the file (passed as init values) says.
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _unique_names(self) -> ConnectorConfig:
        names = [connection.name for connection in self.connections]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"connection names must be unique; repeated: {', '.join(duplicates)}")
        return self

    def connection(self, name: str) -> ConnectionConfig:
        for connection in self.connections:
            if connection.name == name:
                return connection
        known = ", ".join(c.name for c in self.connections) or "none"
        raise ConfigError(f"no connection named {name!r} (configured: {known})", source=str(self.source_path))

    @property
    def folder(self) -> Path | None:
        """The connector file's folder, against which every relative path in it is read (None: built in code)."""
        return self.source_path.parent if self.source_path is not None else None

    def resolve(self, path: Path) -> Path:
        """A path from the file, taken relative to the file's folder unless absolute."""
        if path.is_absolute() or self.folder is None:
            return path
        return self.folder / path

    def model_path(self, connection: ConnectionConfig | None = None) -> Path:
        named = connection.model if connection and connection.model else self.model
        return self.resolve(named) if named is not None else default_model_path(self.folder or Path())


def load_config(path: Path) -> ConnectorConfig:
    """Read and validate a connector file; any problem becomes one ConfigError naming the file and key."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError("file not found", source=str(path)) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"not valid YAML: {error}", source=str(path)) from None
    if not isinstance(raw, dict):
        raise ConfigError("the top level must be a mapping of keys", source=str(path))
    if isinstance(raw.get("database_url"), str):  # not SCOREBRIDGE_DATABASE_URL, which is read from the working dir
        raw["database_url"] = sqlite_url_beside(raw["database_url"], path.parent)
    try:
        config = ConnectorConfig(**raw)
    except ValidationError as error:
        raise config_error_from(error, source=str(path)) from None
    return config.model_copy(update={"source_path": path})


def sqlite_url_beside(url: str, folder: Path) -> str:
    """A SQLite URL whose relative file path is taken from `folder`; every other URL as it is."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # the store reports a malformed URL when it opens it
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return url
    if Path(database).is_absolute():
        return url
    return parsed.set(database=str(folder / database)).render_as_string(hide_password=False)


def config_error_from(error: ValidationError, *, source: str, model: type[BaseModel] = ConnectorConfig) -> ConfigError:
    """The first pydantic problem as a ConfigError with a dotted key path such as `connections[0].crm`."""
    first = error.errors()[0]
    key = ""
    for part in first["loc"]:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    # pydantic prefixes what a validator raises with "Value error, ": the message is ours, say it alone.
    plain = first["msg"].removeprefix("Value error, ")
    message = _unknown_setting(model, first["loc"]) if first["type"] == "extra_forbidden" else plain
    extra = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
    return ConfigError(f"{message}{extra}", source=source, key=key or None)


def _unknown_setting(model: type[BaseModel] | None, loc: tuple) -> str:
    """The message for a key no settings model knows: the keys known in that place, and the likeliest one meant."""
    for part in loc[:-1]:
        if model is not None and not isinstance(part, int):
            field = model.model_fields.get(str(part))
            model = _model_in(field.annotation) if field else None
    if model is None:
        return "unknown setting"
    known = sorted(name for name, field in model.model_fields.items() if not field.exclude)
    guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f"unknown setting{f' (did you mean {guess[0]}?)' if guess else ''}; known here: {', '.join(known)}"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds: itself, or inside `list[...]` / `... | None`."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def mapping_problems(connection: ConnectionConfig, produced: frozenset[str], vocabulary: tuple[str, ...]) -> list[str]:
    """Activity types a connection's mapping produces that its scoring model does not know."""
    unknown = sorted(produced - set(vocabulary))
    if not unknown:
        return []
    return [
        f"{connection.name}: mapping {connection.mapping} produces activity type(s) {', '.join(unknown)} "
        f"that the scoring model does not list in activity_types"
    ]

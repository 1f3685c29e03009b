"""The CRMs ScoreBridge knows. A CRM is a name, its settings model, its adapter factory, its mapping loader and its
stand-in; the CLI, the demo, `scorebridge sandbox`, the end-to-end harness and the contract suite
(tests/contract) read this list, so a third CRM is one more entry here, done when it passes that suite.

It names concrete adapters, so it lives on the adapters' side: the core never imports it, only the CLI layer
(connector/cli.py and its commands). Every import of a CRM's package happens when that CRM is asked for, so
`scorebridge --help` loads none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from connector.crm import CrmAdapter

#: How a stand-in's secret reaches a connection's settings: (name, value) -> a secret reference such as
#: ``{"env": "E2E_SF_PASSWORD"}`` or ``{"file": "/tmp/demo/salesforce-password"}``.
SecretRef = Callable[[str, str], dict[str, str]]


@dataclass(frozen=True)
class AdapterOptions:
    """What a caller may inject into any adapter; each CRM's factory passes on what its adapter takes."""

    config_folder: Path | None = None
    environ: Mapping[str, str] | None = None
    sleep: Callable[[float], None] | None = None
    #: A monotonic clock for rate limiters (HubSpot's 10-second window).
    monotonic: Callable[[], float] | None = None
    #: The wall clock an adapter dates its reads by.
    now: Callable[[], datetime] | None = None


@dataclass(frozen=True)
class StandIn:
    """The local stand-in of a CRM: how `scorebridge sandbox serve` builds it, and the `settings:` block a
    connection needs to reach a running one (its `info`), with secrets handed over by `secret`."""

    build: Callable[[Any, str], Any]
    connection_settings: Callable[[Mapping[str, Any], SecretRef], dict[str, Any]]


@dataclass(frozen=True)
class CrmKind:
    name: str
    label: str
    #: The pydantic model of a connection's `settings:` block (a function: importing it loads the adapter).
    settings_model: Callable[[], type]
    #: (settings block, mapping file, options) -> the adapter; both files are validated here.
    adapter: Callable[[Mapping[str, Any], Path, AdapterOptions], CrmAdapter]
    #: The mapping file read offline (no credentials): what `validate` and `import` inspect.
    load_mapping: Callable[[Path], Any]
    stand_in: StandIn
    #: The loaded mapping -> {its key path: the write target it names}, e.g.
    #: ``{"objects.Lead.write_back.groups.web.lead": "groups.web.lead"}``: what `validate` checks against the model.
    write_target_keys: Callable[[Any], dict[str, str]]


# -- Salesforce -----------------------------------------------------------------------------------------------


def _salesforce_settings_model() -> type:
    from adapters.salesforce.settings import SalesforceSettings

    return SalesforceSettings


def _salesforce_adapter(settings: Mapping[str, Any], mapping: Path, options: AdapterOptions) -> CrmAdapter:
    from adapters.salesforce.adapter import SalesforceAdapter

    kwargs = _given(environ=options.environ, sleep=options.sleep, clock=options.now)
    return SalesforceAdapter.from_connection(settings, mapping, config_folder=options.config_folder, **kwargs)


def _salesforce_mapping(path: Path) -> Any:
    from adapters.salesforce.mapping import load_mapping

    return load_mapping(path)


def _salesforce_write_targets(mapping: Any) -> dict[str, str]:
    return {
        f"objects.{name}.write_back.{target}": target
        for name, entry in mapping.objects.items()
        for target in entry.write_back
    }


def _salesforce_stand_in(options: Any, token: str) -> Any:
    from adapters.sandbox.launch import build_salesforce

    return build_salesforce(options, token)


def _salesforce_connection(info: Mapping[str, Any], secret: SecretRef) -> dict[str, Any]:
    return {
        "auth": "password",
        "login_url": info["base_url"],
        "username": info["username"],
        "consumer_key": info["client_id"],
        "consumer_secret": secret("salesforce-client-secret", info["client_secret"]),
        "password": secret("salesforce-password", info["password"]),
        "ca_bundle": info["ca_file"],
    }


# -- HubSpot --------------------------------------------------------------------------------------------------


def _hubspot_settings_model() -> type:
    from adapters.hubspot.settings import HubSpotSettings

    return HubSpotSettings


def _hubspot_adapter(settings: Mapping[str, Any], mapping: Path, options: AdapterOptions) -> CrmAdapter:
    from adapters.hubspot.adapter import HubSpotAdapter

    kwargs = _given(sleep=options.sleep, clock=options.monotonic, now=options.now)
    return HubSpotAdapter.from_connection(
        settings, mapping, environ=options.environ, config_folder=options.config_folder, **kwargs
    )


def _hubspot_mapping(path: Path) -> Any:
    from adapters.hubspot.mapping import load_mapping

    return load_mapping(path)


def _hubspot_write_targets(mapping: Any) -> dict[str, str]:
    return {f"write_back.properties.{target}": target for target in mapping.write_back.properties}


def _hubspot_stand_in(options: Any, token: str) -> Any:
    from adapters.sandbox.launch import build_hubspot

    return build_hubspot(options, token)


def _hubspot_connection(info: Mapping[str, Any], secret: SecretRef) -> dict[str, Any]:
    token = secret("hubspot-token", info["access_token"])
    settings = {"auth": "private_app", "host": info["base_url"], "access_token": token}
    if "burst_limit" in info:
        settings["burst_limit"] = info["burst_limit"]
    return settings


def _given(**values: Any) -> dict[str, Any]:
    """Only the options a caller set: each adapter keeps its own defaults for the rest."""
    return {name: value for name, value in values.items() if value is not None}


CRMS: tuple[CrmKind, ...] = (
    CrmKind(
        "salesforce",
        "Salesforce",
        _salesforce_settings_model,
        _salesforce_adapter,
        _salesforce_mapping,
        StandIn(_salesforce_stand_in, _salesforce_connection),
        write_target_keys=_salesforce_write_targets,
    ),
    CrmKind(
        "hubspot",
        "HubSpot",
        _hubspot_settings_model,
        _hubspot_adapter,
        _hubspot_mapping,
        StandIn(_hubspot_stand_in, _hubspot_connection),
        write_target_keys=_hubspot_write_targets,
    ),
)


def account_write_target_keys(mapping: Any) -> dict[str, str]:
    """The mapping's key path -> account write target, for either CRM (both spell the section the same way)."""
    if getattr(mapping, "accounts", None) is None:
        return {}
    return {f"accounts.write_back.{target}": target for target in mapping.accounts.write_back}


def crm_names() -> tuple[str, ...]:
    return tuple(kind.name for kind in CRMS)


def crm_named(name: str) -> CrmKind:
    """The registered CRM of that name; a KeyError names the known ones."""
    for kind in CRMS:
        if kind.name == name:
            return kind
    raise KeyError(f"unknown CRM {name!r}; known: {', '.join(crm_names())}")

"""The HubSpot stand-in as a `CrmApp`: routes behind HubSpot's auth and rate limits, faults, and data loading."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote

from adapters.sandbox.http import Fault, Handler, Request, Response, Route
from adapters.sandbox.hubspot import wire
from adapters.sandbox.hubspot.associations_api import AssociationsApi
from adapters.sandbox.hubspot.auth import DEFAULT_TOKEN_LIFETIME, OAuthClient, TokenBook
from adapters.sandbox.hubspot.faults import BatchRejection
from adapters.sandbox.hubspot.limits import RateLimiter, RateLimits, rate_limit_body
from adapters.sandbox.hubspot.marketing_api import MarketingApi
from adapters.sandbox.hubspot.merges import MergeApi
from adapters.sandbox.hubspot.objects_api import ObjectsApi
from adapters.sandbox.hubspot.pipelines_api import PipelinesApi
from adapters.sandbox.hubspot.portal import Portal
from adapters.sandbox.hubspot.reps import complete_share
from adapters.sandbox.hubspot.seeding import PopulationSeeder, seed_portal
from adapters.sandbox.hubspot.settings_api import SettingsApi
from connector.errors import InputError

SEARCH_ROUTE = "hubspot.search"


@dataclass(frozen=True)
class HubSpotSettings:
    """How a sandbox portal is set up: who may call it, its limits, and how long OAuth tokens live."""

    private_app_tokens: tuple[str, ...] = ("sandbox-private-app-token",)
    oauth: OAuthClient = field(
        default_factory=lambda: OAuthClient("sandbox-client", "sandbox-secret", "sandbox-refresh")
    )
    limits: RateLimits = field(default_factory=RateLimits)
    token_lifetime: timedelta = DEFAULT_TOKEN_LIFETIME


class HubSpotApp:
    """Serves a `Portal` over HubSpot's CRM v3/v4, properties, owners and marketing APIs."""

    name = "hubspot"

    def __init__(self, settings: HubSpotSettings | None = None, clock: wire.Clock = wire.system_clock) -> None:
        self.settings = settings or HubSpotSettings()
        self.clock = clock
        self.portal = Portal(clock)
        self.tokens = TokenBook(list(self.settings.private_app_tokens), self.settings.oauth, clock,
                                self.settings.token_lifetime)  # fmt: skip
        self.limiter = RateLimiter(self.settings.limits, clock)
        self.rejection = BatchRejection()
        self._seeded: PopulationSeeder | None = None

    # -- CrmApp -------------------------------------------------------------------------------------------

    def routes(self) -> Sequence[Route]:
        apis = (ObjectsApi(self.portal, self.rejection), MergeApi(self.portal), AssociationsApi(self.portal),
                SettingsApi(self.portal), PipelinesApi(self.portal), MarketingApi(self.portal))  # fmt: skip
        guarded = [Route(r.method, r.pattern, self._guard(r), r.name) for api in apis for r in api.routes()]
        return [Route("POST", r"/oauth/v1/token/?", self._oauth_token, "hubspot.oauth.token"), *guarded]

    def error_response(self, status: int, kind: str) -> Response:
        if status == 429:
            return Response.json(429, rate_limit_body("TEN_SECONDLY_ROLLING"))
        if status == 404:
            return wire.not_found("The requested resource was not found.")
        messages = {502: "Bad Gateway: the request timed out upstream.", 503: "Service Unavailable. Please retry."}
        message = messages.get(status, f"Internal error ({kind}).")
        return wire.error(status, message, "INTERNAL_ERROR" if status < 502 else "SERVICE_UNAVAILABLE")

    def apply_fault(self, fault: Fault) -> None:
        """Data-level faults: expire_sessions, revoke_tokens, daily_limit, reject_share, clear; and reps_work."""
        if fault.kind == "expire_sessions":
            self.tokens.expire_all()
        elif fault.kind == "revoke_tokens":
            self.tokens.revoke_private()
        elif fault.kind == "daily_limit":
            self.limiter.exhaust_daily()
        elif fault.kind == "reject_share":
            self.rejection.arm(fault.share, fault.count)
        elif fault.kind == "reps_work":  # not a fault: the simulated reps complete a share of the open tasks
            complete_share(self.portal, fault.share)
        elif fault.kind == "clear":
            self.tokens.clear_faults()
            self.limiter.reset()
            self.rejection.clear()
        else:
            raise InputError(
                f"unknown HubSpot sandbox fault {fault.kind!r}: use expire_sessions, revoke_tokens, daily_limit, "
                "reject_share, reps_work or clear (or a transport fault: status, rate_limit, slow, reset, truncate)"
            )

    def reset(self) -> None:
        """A fresh portal behind the same server: no data, no faults, no counted requests, no issued tokens."""
        with self.portal.lock:
            self.portal.clear()
        self.tokens.forget_issued()
        self.apply_fault(Fault(kind="clear"))

    # -- data ---------------------------------------------------------------------------------------------

    def insert(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        associations: Mapping[str, Iterable[str | int]] | None = None,
    ) -> str:
        """Add one record in HubSpot's property names; returns its id."""
        return self.portal.insert(object_type, properties, associations)

    def load_records(self, payload: Mapping[str, Any]) -> dict[str, list[str]]:
        return self.portal.load_records(payload)

    def load_population(self, population: Any) -> None:
        """Owners, companies, contacts, engagements and marketing activity from a generated `Population`."""
        self._seeded = seed_portal(self.portal, population)

    def add_touches(self, touches: Iterable[Any]) -> int:
        """New activity of people loaded by `load_population`, e.g. from `more_touches`."""
        if self._seeded is None:
            raise InputError("add_touches needs a population loaded first (load_population)")
        return self._seeded.add_touches(touches)

    def dump_state(self) -> dict[str, Any]:
        return self.portal.dump()

    def restore_state(self, state: Mapping[str, Any]) -> None:
        self.portal.restore(state)

    # -- request handling ---------------------------------------------------------------------------------

    def _guard(self, route: Route) -> Handler:
        """The route's handler behind HubSpot's checks: a valid token first, then the rate limits."""
        search = route.name == SEARCH_ROUTE

        def guarded(request: Request, **raw_params: str) -> Response:
            params = {name: unquote(value) for name, value in raw_params.items()}
            caller = self.tokens.authenticate(request.bearer_token())
            if isinstance(caller, Response):
                return caller
            verdict = self.limiter.admit(caller.token, search=search, oauth=caller.oauth)
            if not verdict.allowed:
                return Response.json(429, rate_limit_body(verdict.policy), headers=verdict.headers)
            with self.portal.lock:
                response = route.handler(request, **params)
            response.headers.update(verdict.headers)
            return response

        return guarded

    def _oauth_token(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        status, body = self.tokens.refresh(form)
        return Response.json(status, body)

"""Portal settings over HTTP: the properties API (properties and groups), the owners API, the account details."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.sandbox.http import Request, Response, Route
from adapters.sandbox.hubspot import wire
from adapters.sandbox.hubspot.marketing import PORTAL_ID
from adapters.sandbox.hubspot.object_types import canonical_type
from adapters.sandbox.hubspot.portal import Portal
from adapters.sandbox.hubspot.properties import (
    CREATE_REQUIRED,
    PROPERTY_TYPES,
    PropertyGroup,
    group_json,
    property_from_create,
    property_json,
)

PROPS = r"/crm/v3/properties/(?P<object_type>[\w-]+)"
OWNERS_MAX_PAGE = 500


class SettingsApi:
    def __init__(self, portal: Portal) -> None:
        self.portal = portal

    def routes(self) -> list[Route]:
        return [
            Route("GET", PROPS + "/groups/?", self.list_groups, "hubspot.properties.groups"),
            Route("POST", PROPS + "/groups/?", self.create_group, "hubspot.properties.create_group"),
            Route("GET", PROPS + "/?", self.list_properties, "hubspot.properties.list"),
            Route("POST", PROPS + "/?", self.create_property, "hubspot.properties.create"),
            Route("GET", PROPS + r"/(?P<name>[\w-]+)/?", self.get_property, "hubspot.properties.read"),
            Route("GET", r"/crm/v3/owners/?", self.list_owners, "hubspot.owners.list"),
            Route("GET", r"/crm/v3/owners/(?P<owner_id>\d+)/?", self.get_owner, "hubspot.owners.read"),
            Route("GET", r"/account-info/v3/details/?", self.account_details, "hubspot.account.details"),
        ]

    def list_properties(self, request: Request, object_type: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return wire.validation_error(f"Unable to infer object type from: {object_type}")
        return Response.json(200, {"results": [property_json(p) for p in self.portal.catalog.definitions(kind)]})

    def get_property(self, request: Request, object_type: str, name: str) -> Response:
        kind = canonical_type(object_type)
        prop = self.portal.catalog.get(kind, name) if kind else None
        if prop is None:
            return wire.not_found(f"Unable to find property {name} on object type {object_type}")
        return Response.json(200, property_json(prop))

    def create_property(self, request: Request, object_type: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return wire.validation_error(f"Unable to infer object type from: {object_type}")
        body = wire.json_body(request)
        if not isinstance(body, Mapping):
            return wire.invalid_json()
        missing = [name for name in CREATE_REQUIRED if not body.get(name)]
        if missing:
            return wire.validation_error(f"Missing required fields: {', '.join(missing)}")
        if body["type"] not in PROPERTY_TYPES:
            return wire.validation_error(f"{body['type']} is not a valid property type: {sorted(PROPERTY_TYPES)}")
        if not self.portal.catalog.has_group(kind, body["groupName"]):
            return wire.validation_error(f"Property group {body['groupName']} does not exist on {kind}.")
        prop = property_from_create(body, self.portal.clock())
        if not self.portal.catalog.add(kind, prop):
            return wire.error(409, f"Property {prop.name} already exists", "OBJECT_ALREADY_EXISTS")
        return Response.json(201, property_json(prop))

    def list_groups(self, request: Request, object_type: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return wire.validation_error(f"Unable to infer object type from: {object_type}")
        return Response.json(200, {"results": [group_json(g) for g in self.portal.catalog.groups(kind)]})

    def create_group(self, request: Request, object_type: str) -> Response:
        kind = canonical_type(object_type)
        if kind is None:
            return wire.validation_error(f"Unable to infer object type from: {object_type}")
        body = wire.json_body(request)
        if not isinstance(body, Mapping) or not body.get("name") or not body.get("label"):
            return wire.validation_error("A property group needs `name` and `label`.")
        group = PropertyGroup(body["name"], body["label"], int(body.get("displayOrder", -1)))
        if not self.portal.catalog.add_group(kind, group):
            return wire.error(409, f"Property group {group.name} already exists", "OBJECT_ALREADY_EXISTS")
        return Response.json(201, group_json(group))

    def list_owners(self, request: Request) -> Response:
        limit = wire.int_param(request, "limit", 100)
        after = wire.int_param(request, "after", 0)
        if limit is None or after is None or not 1 <= limit <= OWNERS_MAX_PAGE:
            return wire.validation_error(f"limit must be between 1 and {OWNERS_MAX_PAGE}; after must be a number")
        email = request.param("email")
        archived = wire.bool_param(request, "archived")
        owners = [
            o for o in self.portal.owners.values()
            if o.archived == archived and (email is None or o.email.lower() == email.lower())
        ]  # fmt: skip
        body: dict = {"results": [o.to_json() for o in owners[after : after + limit]]}
        if after + limit < len(owners):
            body["paging"] = {"next": {"after": str(after + limit), "link": f"?after={after + limit}"}}
        return Response.json(200, body)

    def get_owner(self, request: Request, owner_id: str) -> Response:
        owner = self.portal.owners.get(owner_id)
        if owner is None:
            return wire.not_found(f"Owner {owner_id} not found")
        return Response.json(200, owner.to_json())

    def account_details(self, request: Request) -> Response:
        """GET /account-info/v3/details, as a US-hosted standard portal answers it (the record pages' domain)."""
        return Response.json(
            200,
            {
                "portalId": PORTAL_ID,
                "accountType": "STANDARD",
                "timeZone": "US/Eastern",
                "companyCurrency": "USD",
                "additionalCurrencies": [],
                "utcOffset": "-05:00",
                "utcOffsetMilliseconds": -18_000_000,
                "uiDomain": "app.hubspot.com",
                "dataHostingLocation": "na1",
            },
        )

"""Pure parts of the HTTP API and of permissions: role expansion and its defaults, the roles file's
``roles:`` mapping, rate-limit windows, NUL guards, ETag matching, error fields, the OpenAPI
document's examples and error codes; plus every doctest of these modules."""

from __future__ import annotations

import doctest
import importlib
from typing import Any

import pytest
from fastapi.routing import APIRoute

from ward_core.api.app import create_app
from ward_core.api.auth import Requirement, require
from ward_core.api.limits import MemoryRateLimiter, Quota
from ward_core.api.listing import _matches
from ward_core.api.openapi import api_routes, requirements_of
from ward_core.config import load_settings
from ward_core.errors import ConfigError, IdentityError
from ward_core.permissions import (
    ADMIN,
    ALL,
    BUILTIN_ROLES,
    UNDECLARED_DEFAULT,
    VIEW,
    permissions_of_roles,
)
from ward_core.remediation.identity import Person, parse_directory

MODULES = [
    "ward_core.permissions",
    "ward_core.remediation.identity",
    "ward_core.api.tokens",
    "ward_core.api.errors",
    "ward_core.api.encoding",
    "ward_core.api.limits",
    "ward_core.api.routes.common",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0


def test_a_roles_file_without_a_roles_mapping_keeps_its_users_able_to_work() -> None:
    directory = parse_directory(
        {"users": {"alice": {"roles": ["neteng"]}, "root": {"roles": ["admin"]}}}, "r"
    )
    assert directory.role_permissions is None
    assert directory.permissions_of("alice") == UNDECLARED_DEFAULT
    assert ADMIN not in directory.permissions_of("alice")
    assert directory.permissions_of("root") == ALL
    assert directory.permissions_of("nobody") == frozenset()


def test_a_roles_mapping_grants_exactly_what_it_declares() -> None:
    directory = parse_directory(
        {
            "roles": {"noc": ["alerts.view", "alerts.ack"], "neteng": ["operator", "approvals.decide"]},
            "users": {
                "nina": {"roles": ["noc"]},
                "ed": {"roles": ["neteng"]},
                "vic": {"roles": ["viewer"]},
                "cb": {"roles": ["change-board"]},
            },
        },
        "roles.yml",
    )
    assert directory.permissions_of("nina") == {"alerts.view", "alerts.ack"}
    assert directory.permissions_of("ed") == BUILTIN_ROLES["operator"] | {"approvals.decide"}
    assert directory.permissions_of("vic") == VIEW
    assert directory.permissions_of("cb") == frozenset()
    directory.require(Person("ed", frozenset({"neteng"})), "remediation.propose")
    with pytest.raises(
        IdentityError, match=r"nina lacks the permission 'approvals.decide' \(noc in roles.yml\)"
    ):
        directory.require(Person("nina", frozenset({"noc"})), "approvals.decide")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"roles": {"noc": ["alerts.acknowledge"]}},
            "roles.yml: roles.noc: unknown permission 'alerts.acknowledge'",
        ),
        ({"roles": {"noc": "alerts.ack"}}, "roles.yml: roles.noc: expected a list of permissions"),
        ({"roles": ["noc"]}, "roles.yml: roles: expected a mapping"),
        ({"rolez": {}}, "unknown key(s) rolez (known: identity, roles, users)"),
    ],
)
def test_a_bad_roles_mapping_is_refused_naming_the_field(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_directory(document, "roles.yml")
    assert message in str(raised.value)


def test_admin_implies_every_permission_and_builtin_roles_can_be_redeclared() -> None:
    assert permissions_of_roles(["admin"], None) == ALL
    assert permissions_of_roles(["viewer"], {"viewer": frozenset({"devices.view"})}) == {"devices.view"}
    assert permissions_of_roles(["viewer", "auditor"], {}) == VIEW | {"audit.view"}


def test_a_requirement_names_known_permissions_only() -> None:
    assert require("alerts.ack").permissions == {"alerts.ack"}
    assert require("approvals.decide", "remediation.propose").permissions == {
        "approvals.decide",
        "remediation.propose",
    }
    with pytest.raises(ValueError, match=r"alerts\.acknowledge"):
        require("alerts.acknowledge")


def test_memory_rate_limits_count_per_key_and_reset_with_the_window() -> None:
    limiter = MemoryRateLimiter(window_s=10)
    quotas = [Quota("address:a", 3), Quota("token:t", 2)]
    assert limiter.hit(quotas, 100.0) is None
    assert limiter.hit(quotas, 101.0) is None
    wait = limiter.hit(quotas, 102.5)
    assert wait == pytest.approx(7.5)
    assert limiter.hit([Quota("address:b", 3)], 103.0) is None
    assert limiter.hit(quotas, 110.0) is None


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('W/"abc"', True),
        ('"abc"', True),
        ('"zzz", W/"abc"', True),
        ("*", True),
        ('"zzz"', False),
        (None, False),
    ],
)
def test_if_none_match_compares_weakly(header: str | None, matches: bool) -> None:
    assert _matches(header, 'W/"abc"') is matches


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[APIRoute]]:
    folder = tmp_path_factory.mktemp("openapi")
    app = create_app(load_settings(database_url=f"sqlite:///{folder / 'ward.db'}"))
    routes = [r for _, r in api_routes(app.routes) if r.path.startswith(("/api/", "/healthz"))]
    return app.openapi(), routes


def test_every_operation_documents_an_example_and_its_error_codes(
    openapi: tuple[dict[str, Any], list[APIRoute]],
) -> None:
    document, routes = openapi
    assert routes
    for route in routes:
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            where = f"{method} {route.path_format}"
            success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            assert any("example" in c for c in success.get("content", {}).values()), f"{where}: no example"
            if route.path.startswith("/api/"):
                assert operation["x-permissions"], where
                assert {"401", "403", "429"} <= set(operation["responses"]), where
                assert operation["security"] == [{"bearer": []}, {"cookie": []}], where
            if "requestBody" in operation:
                assert {"413", "422"} <= set(operation["responses"]), where
                schema = operation["requestBody"]["content"]["application/json"]["schema"]
                name = schema["$ref"].rsplit("/", 1)[1]
                assert document["components"]["schemas"][name].get("examples"), f"{where}: no body example"
                assert document["components"]["schemas"][name]["additionalProperties"] is False, where
            for status, answer in operation["responses"].items():
                if status[0] in "45" and route.path != "/healthz":
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, f"{where} {status}"


def test_every_rest_route_states_its_permission(openapi: tuple[dict[str, Any], list[APIRoute]]) -> None:
    _, routes = openapi
    for route in routes:
        if route.path.startswith("/api/"):
            found = list(requirements_of(route))
            assert found and all(isinstance(r, Requirement) for r in found), route.path

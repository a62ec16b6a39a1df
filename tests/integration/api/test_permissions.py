"""Every mutating endpoint, for every role: allowed exactly when the role grants its permission.

The cases come from the route table (``ward_core.api.routes.ROUTERS``), so a new endpoint is tested
as soon as it exists, and fails here until it declares its permission (``require``) and documents
an example body: the request sent is the OpenAPI example, on targets that do not exist (an allowed
call then answers 404 or 422, never 401/403). Refusals are 403, and every 401 and 403 is in the
audit log.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from ward_core.api.openapi import requirements_of
from ward_core.api.routes import ROUTERS
from ward_core.permissions import BUILTIN_ROLES
from ward_core.remediation.identity import load_directory

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
USERS_BY_ROLE = {"viewer": "vera", "operator": "olga", "approver": "andy", "auditor": "aude", "admin": "root"}
MISSING_ID = "2147483000"


def _mutating_routes() -> list[tuple[str, str, APIRoute]]:
    found = []
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path.startswith("/api/"):
                for method in sorted(route.methods & MUTATING):
                    found.append((method, route.path, route))
    return found


ROUTES = _mutating_routes()


def _url(path: str, route: APIRoute) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        param = next(p for p in route.dependant.path_params if p.name == name)
        return MISSING_ID if param.field_info.annotation is int else "no-such-thing"

    return re.sub(r"\{(\w+)\}", fill, path)


def _example_body(openapi: dict[str, Any], method: str, path: str) -> Any:
    operation = openapi["paths"][path][method.lower()]
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    examples = schema.get("examples")
    assert examples, f"{method} {path}: document an example body (json_schema_extra examples)"
    return examples[0]


@pytest.fixture(scope="module")
def openapi(api: Any) -> dict[str, Any]:
    answer = api.get("/openapi.json", user=None)
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def test_the_route_table_has_mutating_endpoints() -> None:
    paths = {f"{method} {path}" for method, path, _ in ROUTES}
    assert "POST /api/v1/remediation/requests/{request_id}/approve" in paths
    assert len(paths) >= 7


def test_the_users_hold_their_builtin_roles(api_env: Any) -> None:
    directory = load_directory(api_env.settings)
    for role, user in USERS_BY_ROLE.items():
        assert directory.permissions_of(user) == BUILTIN_ROLES[role]


@pytest.mark.parametrize("role", sorted(USERS_BY_ROLE))
@pytest.mark.parametrize(("method", "path", "route"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_each_role_is_allowed_exactly_what_it_grants(
    api: Any, openapi: dict[str, Any], audit: Any, method: str, path: str, route: APIRoute, role: str
) -> None:
    requirements = list(requirements_of(route))
    assert requirements, f"{method} {path} declares no permission: use ward_core.api.auth.require"
    needed = frozenset().union(*(r.permissions for r in requirements))
    user = USERS_BY_ROLE[role]
    allowed = bool(BUILTIN_ROLES[role] & needed)
    before = audit.head()
    answer = api.client.request(
        method, _url(path, route), json=_example_body(openapi, method, path), headers=api.headers(user)
    )
    if allowed:
        assert answer.status_code not in (401, 403), answer.text
        assert answer.status_code < 500, answer.text
        calls = audit.records("api.call", since=before)
        assert [c["actor"] for c in calls] == [user]
        assert calls[0]["payload"]["route"] == f"{method} {path}"
        assert calls[0]["payload"]["outcome"] == answer.status_code
    else:
        assert answer.status_code == 403, answer.text
        assert user in answer.json()["detail"] and "lacks the permission" in answer.json()["detail"]
        refusals = audit.records("api.forbidden", since=before)
        assert len(refusals) == 1 and refusals[0]["actor"] == user
        assert refusals[0]["payload"]["route"] == f"{method} {path}"
        assert refusals[0]["payload"]["outcome"] == 403


@pytest.mark.parametrize(("method", "path", "route"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_without_a_token_every_mutating_endpoint_is_401_and_audited(
    api: Any, openapi: dict[str, Any], audit: Any, method: str, path: str, route: APIRoute
) -> None:
    before = audit.head()
    answer = api.client.request(method, _url(path, route), json=_example_body(openapi, method, path))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    refusals = audit.records("api.unauthorized", since=before)
    assert len(refusals) == 1 and refusals[0]["actor"] == "anonymous"
    assert refusals[0]["payload"]["route"] == f"{method} {path}"

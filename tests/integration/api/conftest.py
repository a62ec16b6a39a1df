"""A real ward HTTP API for the tests: PostgreSQL, Redis, uvicorn on a loopback port, httpx.

- ``api_env`` (per module): a migrated PostgreSQL schema of its own, a claimed Redis database, a
  roles file declaring permissions (one user per built-in role, plus the ``neteng`` people who
  propose and approve), an approval policy, a secrets file, the example inventory, and an API
  token per user;
- :func:`serve`: runs an app under uvicorn in a thread on ``127.0.0.1:<free port>`` and gives its
  base URL; :class:`Api` is an httpx client on it that sends a user's token.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ward_core.api.app import create_app
from ward_core.api.tokens import create_token
from ward_core.audit.log import entries
from ward_core.config import Settings, load_settings
from ward_core.db import get_engine, session_scope
from ward_core.db.models import AuditRecord
from ward_core.inventory.importer import import_inventory
from ward_core.remediation.identity import load_directory
from ward_core.testing.redis_db import claimed_redis_db
from ward_core.testing.workers import migrated_schema

REPO = Path(__file__).resolve().parents[3]
INVENTORY = REPO / "tests" / "data" / "inventory" / "example.yml"

ROLES: dict[str, Any] = {
    "roles": {"neteng": ["operator", "approvals.decide"]},
    "users": {
        "alice": {"roles": ["neteng"]},
        "bob": {"roles": ["neteng"]},
        "vera": {"roles": ["viewer"]},
        "olga": {"roles": ["operator"]},
        "andy": {"roles": ["approver"]},
        "aude": {"roles": ["auditor"]},
        "root": {"roles": ["admin"]},
    },
}
ROLE_OF_USER = {"vera": "viewer", "olga": "operator", "andy": "approver", "aude": "auditor", "root": "admin"}
"""One user per built-in role (the permission matrix walks these)."""

POLICY: dict[str, Any] = {
    "rules": [
        {
            "name": "short-ttl",
            "match": {"sites": ["branch-002"]},
            "approvals": 1,
            "roles": ["neteng"],
            "ttl_s": 2,
        },
    ],
    "default": {"approvals": 1, "roles": ["neteng"]},
}
SECRETS: dict[str, dict[str, str]] = {
    "lab-ssh": {"username": "wardops", "password": "Pa55-never-shown", "secret": "En4ble-never-shown"},
    "lab-snmp": {"community": "Comm-never-shown"},
    "lab-snmpv3": {"auth_key": "Auth-never-shown", "priv_key": "Priv-never-shown"},
}
SECRET_VALUES = [v for fields in SECRETS.values() for k, v in fields.items() if k != "username"]


@dataclass
class ApiEnv:
    """What the module's API runs on."""

    settings: Settings
    engine: Engine
    folder: Path
    database_url: str
    redis_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def settings_with(self, **overrides: Any) -> Settings:
        """The same settings with some fields changed."""
        return self.settings.model_copy(update=overrides)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a ``ward`` subprocess on this database, Redis and files."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
        env.update(
            WARD_CONFIG=os.devnull,
            WARD_DATABASE_URL=self.database_url,
            WARD_REDIS_URL=self.redis_url,
            WARD_BROKER_URL=self.redis_url,
            WARD_ROLES_FILE=str(self.settings.roles_file),
            WARD_APPROVAL_POLICY_FILE=str(self.settings.approval_policy_file),
            WARD_SECRETS_FILE=str(self.settings.secrets_file),
        )
        env.update(extra)
        return env


@pytest.fixture(scope="module")
def api_db_url(postgres_url: str) -> Iterator[str]:
    """A migrated PostgreSQL schema of the module's own (dropped afterwards)."""
    with migrated_schema(postgres_url, "api") as url:
        yield url


@pytest.fixture(scope="module")
def api_redis_url() -> Iterator[str]:
    """A Redis database of the module's own."""
    with claimed_redis_db() as url:
        yield url


@pytest.fixture(scope="module")
def api_env(
    api_db_url: str, api_redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiEnv]:
    """Database with the example inventory, files, and a token per user (module docstring)."""
    folder = tmp_path_factory.mktemp("api")
    (folder / "roles.yml").write_text(yaml.safe_dump(ROLES), encoding="utf-8")
    (folder / "policy.yml").write_text(yaml.safe_dump(POLICY), encoding="utf-8")
    (folder / "secrets.yml").write_text(yaml.safe_dump(SECRETS), encoding="utf-8")
    settings = load_settings(
        database_url=api_db_url,
        redis_url=api_redis_url,
        broker_url=api_redis_url,
        roles_file=folder / "roles.yml",
        approval_policy_file=folder / "policy.yml",
        secrets_file=folder / "secrets.yml",
        lab_dir=folder / "lab",
    )
    engine = get_engine(settings)
    env = ApiEnv(settings, engine, folder, api_db_url, api_redis_url)
    with session_scope(engine) as session:
        import_inventory(INVENTORY, session)
    directory = load_directory(settings)
    with session_scope(engine) as session:
        for user in ROLES["users"]:
            issued = create_token(
                session, directory, user=user, scopes=None, expires_at=None, created_by="test"
            )
            env.tokens[user] = issued.token
    yield env
    engine.dispose()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


class Api:
    """An httpx client on a served API, sending ``user``'s token (none for ``None``)."""

    def __init__(self, base_url: str, tokens: dict[str, str]) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.client = httpx.Client(base_url=base_url, timeout=60)

    def headers(self, user: str | None, **extra: str) -> dict[str, str]:
        token = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return {**token, **extra}

    def get(self, path: str, user: str | None = "root", **kwargs: Any) -> httpx.Response:
        headers = self.headers(user, **kwargs.pop("headers", {}))
        return self.client.get(path, headers=headers, **kwargs)

    def post(self, path: str, user: str | None = "root", **kwargs: Any) -> httpx.Response:
        headers = self.headers(user, **kwargs.pop("headers", {}))
        return self.client.post(path, headers=headers, **kwargs)

    def close(self) -> None:
        self.client.close()


@pytest.fixture(scope="module")
def api(api_env: ApiEnv) -> Iterator[Api]:
    """The module's API served by uvicorn, and a client on it."""
    app = create_app(api_env.settings, engine=api_env.engine)
    with serve(app) as url:
        client = Api(url, api_env.tokens)
        yield client
        client.close()


class AuditLog:
    """Reads the audit log the API writes to."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def head(self) -> int:
        """The newest record's seq (0 when empty)."""
        with session_scope(self.engine) as session:
            return int(session.scalar(select(func.coalesce(func.max(AuditRecord.seq), 0))) or 0)

    def records(self, kind: str, since: int = 0) -> list[dict[str, Any]]:
        """Records of ``kind`` after seq ``since``, payloads parsed."""
        with session_scope(self.engine) as session:
            return [
                {**e.to_dict(), "payload": json.loads(e.payload)}
                for e in entries(session, kind=kind)
                if e.seq > since
            ]


@pytest.fixture
def audit(api_env: ApiEnv) -> AuditLog:
    """The audit log of the module's database."""
    return AuditLog(api_env.engine)


@pytest.fixture
def serve_app() -> Any:
    """:func:`serve`, for tests that run an app of their own settings."""
    return serve

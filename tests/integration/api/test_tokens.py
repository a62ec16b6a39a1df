"""API tokens from ``ward tokens`` to refusal: shown once, hashed at rest, scoped, expiring,
revoked at once, and worth only what the owner's roles grant now."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import yaml
from sqlalchemy import select, text

from ward_core.api.tokens import create_token
from ward_core.db import session_scope
from ward_core.db.models import ApiToken
from ward_core.db.types import utcnow
from ward_core.remediation.identity import load_directory, token_digest


def _ward(api_env: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ward_core.cli", *args],
        env=api_env.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _status(api: Any, token: str, path: str = "/api/v1/devices") -> int:
    answer = api.client.get(path, headers={"Authorization": f"Bearer {token}"})
    return int(answer.status_code)


def test_a_cli_token_is_shown_once_stored_hashed_and_revoked_at_once(
    api: Any, api_env: Any, audit: Any
) -> None:
    created = _ward(
        api_env, "tokens", "create", "--user", "vera", "--expires", "30d", "--description", "dash"
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("ward_") and len(token) > 40
    assert "shown only now" in created.stderr
    with session_scope(api_env.engine) as session:
        dump = session.execute(text("SELECT * FROM api_tokens")).all()
        row = session.scalars(select(ApiToken).where(ApiToken.description == "dash")).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.user == "vera" and row.last_used_at is None
        assert row.expires_at is not None and row.expires_at - utcnow() > timedelta(days=29)
    assert token not in repr(dump)
    listed = _ward(api_env, "tokens", "list", "--user", "vera", "--json")
    assert listed.returncode == 0 and token not in listed.stdout
    entry = next(t for t in json.loads(listed.stdout) if t["description"] == "dash")
    assert entry["state"] == "active" and entry["prefix"] == token[:12]

    assert _status(api, token) == 200
    with session_scope(api_env.engine) as session:
        assert session.get(ApiToken, entry["id"]).last_used_at is not None  # type: ignore[union-attr]

    revoked = _ward(api_env, "tokens", "revoke", str(entry["id"]))
    assert revoked.returncode == 0, revoked.stderr
    before = audit.head()
    answer = api.client.get("/api/v1/devices", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    refusal = audit.records("api.unauthorized", since=before)
    assert refusal[0]["payload"]["reason"] == f"token {entry['id']} was revoked"
    assert token not in json.dumps(refusal)


def test_scopes_must_be_the_owners_and_limit_the_token(api: Any, api_env: Any) -> None:
    too_much = _ward(api_env, "tokens", "create", "--user", "vera", "--scope", "alerts.ack")
    assert too_much.returncode == 1 and "vera does not hold alerts.ack" in too_much.stderr
    unknown_user = _ward(api_env, "tokens", "create", "--user", "mallory")
    assert unknown_user.returncode == 1 and "'mallory' is not a user" in unknown_user.stderr
    bad_expiry = _ward(api_env, "tokens", "create", "--user", "vera", "--expires", "soon")
    assert bad_expiry.returncode == 1 and "--expires 'soon'" in bad_expiry.stderr
    scoped = _ward(api_env, "tokens", "create", "--user", "olga", "--scope", "devices.view")
    assert scoped.returncode == 0, scoped.stderr
    token = scoped.stdout.strip()
    assert _status(api, token) == 200
    assert _status(api, token, "/api/v1/alerts") == 403
    ack = api.client.post(
        "/api/v1/silences",
        json={"matchers": ["a=b"], "duration": "1h"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert ack.status_code == 403 and "alerts.ack" in ack.json()["detail"]


def test_an_expired_token_is_refused(api: Any, api_env: Any) -> None:
    with session_scope(api_env.engine) as session:
        issued = create_token(
            session,
            load_directory(api_env.settings),
            user="vera",
            scopes=["devices.view"],
            expires_at=utcnow() + timedelta(seconds=1),
            created_by="test",
        )
    assert _status(api, issued.token) == 200
    time.sleep(1.2)
    answer = api.client.get("/api/v1/devices", headers={"Authorization": f"Bearer {issued.token}"})
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


def test_removing_a_role_takes_effect_at_once(api: Any, api_env: Any) -> None:
    roles_file = api_env.settings.roles_file
    original = roles_file.read_text(encoding="utf-8")
    with session_scope(api_env.engine) as session:
        issued = create_token(
            session,
            load_directory(api_env.settings),
            user="aude",
            scopes=None,
            expires_at=None,
            created_by="t",
        )
    assert _status(api, issued.token, "/api/v1/audit") == 200
    document = yaml.safe_load(original)
    document["users"]["aude"]["roles"] = ["viewer"]
    try:
        roles_file.write_text(yaml.safe_dump(document), encoding="utf-8")
        assert _status(api, issued.token, "/api/v1/audit") == 403
        assert _status(api, issued.token, "/api/v1/devices") == 200
    finally:
        roles_file.write_text(original, encoding="utf-8")
    assert _status(api, issued.token, "/api/v1/audit") == 200


def test_a_roles_file_token_and_the_cookie_are_accepted(api: Any, api_env: Any) -> None:
    roles_file = api_env.settings.roles_file
    original = roles_file.read_text(encoding="utf-8")
    document = yaml.safe_load(original)
    document["users"]["andy"]["token_sha256"] = token_digest("andy-personal-token-123")
    try:
        roles_file.write_text(yaml.safe_dump(document), encoding="utf-8")
        assert _status(api, "andy-personal-token-123", "/api/v1/approvals") == 200
        assert _status(api, "andy-personal-token-123", "/api/v1/audit") == 403
    finally:
        roles_file.write_text(original, encoding="utf-8")
    assert _status(api, "andy-personal-token-123", "/api/v1/approvals") == 401
    with_cookie = api.client.get(
        "/api/v1/devices", headers={"Cookie": f"ward_token={api_env.tokens['vera']}"}
    )
    assert with_cookie.status_code == 200

"""``ward tokens create`` and ``revoke`` leave a record in the hash-chained audit log naming who
acted and which token of whom, never the token itself; the chain still verifies."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from ward_core.audit.log import verify
from ward_core.db import session_scope


def _ward(api_env: Any, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ward_core.cli", *args],
        env=api_env.env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_creating_and_revoking_a_token_are_audited(api_env: Any, audit: Any) -> None:
    before = audit.head()
    created = _ward(api_env, "tokens", "create", "--user", "olga", "--json", WARD_USER="root")
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout)
    revoked = _ward(api_env, "tokens", "revoke", str(issued["id"]), WARD_USER="root")
    assert revoked.returncode == 0, revoked.stderr

    made = audit.records("token.created", since=before)
    assert [(r["actor"], r["payload"]["token"], r["payload"]["user"]) for r in made] == [
        ("root", issued["id"], "olga")
    ]
    assert made[0]["payload"]["scopes"] == issued["scopes"]
    gone = audit.records("token.revoked", since=before)
    assert [(r["actor"], r["payload"]) for r in gone] == [("root", {"token": issued["id"], "user": "olga"})]
    for record in made + gone:
        assert issued["token"] not in json.dumps(record)
    with session_scope(api_env.engine) as session:
        assert verify(session).ok


def test_a_wrong_identity_creates_no_token(api_env: Any, audit: Any) -> None:
    before = audit.head()
    refused = _ward(api_env, "tokens", "create", "--user", "olga", WARD_TOKEN="ward_not-a-token")
    assert refused.returncode == 1 and "WARD_TOKEN matches no user" in refused.stderr
    assert audit.records("token.created", since=before) == []

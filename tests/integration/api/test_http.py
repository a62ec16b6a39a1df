"""The HTTP contract against a real uvicorn server: conditional GETs, gzip, rate limits, body limits,
bad input naming the field, secrets never served, metrics by route template, health, and the
device-list cache dropped by an inventory import."""

from __future__ import annotations

import gzip
import subprocess
import sys
from typing import Any

import httpx
import pytest
import redis

from ward_core.api.app import create_app
from ward_core.api.cache import KEY as CACHE_KEY
from ward_core.db import session_scope
from ward_core.db.models import Run, RunResult
from ward_core.db.types import utcnow

SECRET_VALUES = [
    "Pa55-never-shown",
    "En4ble-never-shown",
    "Comm-never-shown",
    "Auth-never-shown",
    "Priv-never-shown",
]


def test_lists_answer_304_to_their_own_etag_and_200_after_a_change(api: Any) -> None:
    first = api.get("/api/v1/silences", user="olga")
    assert first.status_code == 200 and first.headers["etag"].startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"
    again = api.get("/api/v1/silences", user="olga", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    created = api.post(
        "/api/v1/silences", user="olga", json={"matchers": ["device=etag-test"], "duration": "1h"}
    )
    assert created.status_code == 201, created.text
    changed = api.get("/api/v1/silences", user="olga", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert "device=etag-test" in changed.text


def test_the_device_list_pages_and_304s(api: Any) -> None:
    whole = api.get("/api/v1/devices", params={"limit": 1000})
    assert whole.status_code == 200
    body = whole.json()
    assert body["total"] == len(body["items"]) == 8 and body["next"] is None
    page = api.get("/api/v1/devices", params={"limit": 3, "offset": 3}).json()
    assert [d["name"] for d in page["items"]] == [d["name"] for d in body["items"][3:6]]
    assert page["next"].endswith("offset=6") and "limit=3" in page["next"]
    tagged = api.get("/api/v1/devices", params={"selector": "group:core"}).json()
    assert [d["name"] for d in tagged["items"]] == ["hub-west-rtr1", "hub-west-rtr2"]
    assert "core" in tagged["items"][0]["groups"]
    not_modified = api.get(
        "/api/v1/devices", params={"limit": 1000}, headers={"If-None-Match": whole.headers["etag"]}
    )
    assert not_modified.status_code == 304


def test_bodies_over_1_kb_are_gzipped_for_clients_that_accept_it(api: Any) -> None:
    raw = httpx.get(
        f"{api.base_url}/api/v1/devices",
        headers={**api.headers("vera"), "Accept-Encoding": "gzip"},
    )
    assert raw.headers["content-encoding"] == "gzip" and "accept-encoding" in raw.headers["vary"].lower()
    assert raw.json()["total"] == 8
    plain = httpx.get(
        f"{api.base_url}/api/v1/devices", headers={**api.headers("vera"), "Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    assert plain.json() == raw.json()
    assert len(gzip.compress(plain.content)) < len(plain.content) and int(
        raw.headers["content-length"]
    ) < len(plain.content)
    small = httpx.get(
        f"{api.base_url}/api/v1/approvals", headers={**api.headers("vera"), "Accept-Encoding": "gzip"}
    )
    assert "content-encoding" not in small.headers


def test_bad_input_is_a_4xx_naming_the_field(api: Any) -> None:
    unknown = api.post(
        "/api/v1/silences", user="olga", json={"matchers": ["a=b"], "duration": "1h", "colour": 1}
    )
    assert unknown.status_code == 422 and "body.colour" in unknown.json()["detail"]
    assert unknown.json()["errors"] == [{"field": "body.colour", "message": "Extra inputs are not permitted"}]
    wrong_type = api.post("/api/v1/silences", user="olga", json={"matchers": "a=b", "duration": "1h"})
    assert wrong_type.status_code == 422 and "body.matchers" in wrong_type.json()["detail"]
    missing = api.post("/api/v1/alerts/1/ack", user="olga", json={})
    assert missing.status_code == 422 and "body.comment" in missing.json()["detail"]
    malformed = api.post(
        "/api/v1/silences",
        user="olga",
        content=b'{"matchers": [',
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 422 and "malformed JSON" in malformed.json()["detail"]
    bad_query = api.get("/api/v1/devices", params={"limit": "many"})
    assert bad_query.status_code == 422 and "query.limit" in bad_query.json()["detail"]
    bad_duration = api.post("/api/v1/silences", user="olga", json={"matchers": ["a=b"], "duration": "soon"})
    assert bad_duration.status_code == 422 and "body.duration" in bad_duration.json()["detail"]
    bad_matcher = api.post(
        "/api/v1/silences", user="olga", json={"matchers": ["a=b", "nonsense"], "duration": "1h"}
    )
    assert bad_matcher.status_code == 422 and "body.matchers[1]" in bad_matcher.json()["detail"]
    bad_filter = api.get("/api/v1/devices", params={"selector": 'role = "core"'})
    assert bad_filter.status_code == 400 and "column" in bad_filter.json()["detail"]


def test_oversized_bodies_are_refused_with_413(api: Any) -> None:
    big = b'{"comment": "' + b"x" * 300_000 + b'"}'
    declared = api.post(
        "/api/v1/alerts/1/ack", user="olga", content=big, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413 and "api_max_body_bytes" in declared.json()["detail"]

    def chunks() -> Any:
        yield b'{"comment": "'
        for _ in range(40):
            yield b"y" * 10_000
        yield b'"}'

    streamed = api.post(
        "/api/v1/alerts/1/ack", user="olga", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413


def test_rate_limits_answer_429_with_retry_after(api_env: Any, serve_app: Any) -> None:
    settings = api_env.settings_with(
        api_rate_limit_per_token=5, api_rate_limit_per_address=8, api_rate_window_s=30
    )
    app = create_app(settings, engine=api_env.engine)
    token = {"Authorization": f"Bearer {api_env.tokens['vera']}"}
    with serve_app(app) as url, httpx.Client(base_url=url) as client:
        statuses = [client.get("/api/v1/approvals", headers=token).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        limited = client.get("/api/v1/approvals", headers=token)
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 30
        assert limited.json()["code"] == "rate_limited"
        other = {"Authorization": f"Bearer {api_env.tokens['olga']}"}
        assert client.get("/api/v1/approvals", headers=other).status_code == 200
        by_address = [client.get("/api/v1/approvals", headers=other).status_code for _ in range(3)]
        assert 429 in by_address
        assert client.get("/healthz").status_code in (200, 503)


def test_no_secret_is_ever_served(api: Any, api_env: Any) -> None:
    with session_scope(api_env.engine) as session:
        run = Run(
            kind="playbook", name="secrets", status="succeeded", requested_by="test", params={}, summary={}
        )
        session.add(run)
        session.flush()
        session.add(
            RunResult(
                run_id=run.id,
                device="br001-rtr1",
                task="show-config",
                status="ok",
                changed=False,
                result={"outputs": {"show running-config": "snmp-server community Comm-never-shown RO\n"}},
                started_at=utcnow(),
            )
        )
        run_id = run.id
    shown = api.get(f"/api/v1/runs/{run_id}")
    assert shown.status_code == 200 and "snmp-server community" in shown.text
    paths = [
        "/api/v1/devices?limit=1000",
        "/api/v1/devices/hub-west-rtr2",
        "/api/v1/sites",
        f"/api/v1/runs/{run_id}",
        "/api/v1/runs",
        "/api/v1/audit?limit=10000",
        "/openapi.json",
        "/healthz",
        "/metrics",
    ]
    for path in paths:
        text = api.get(path).text
        for secret in SECRET_VALUES:
            assert secret not in text, f"{path} shows a secret"
    device = api.get("/api/v1/devices/hub-west-rtr2").json()
    assert device["credentials"] == "lab-ssh" and device["snmp"]["credentials"] == "lab-snmpv3"


def test_metrics_count_requests_by_route_template(api: Any) -> None:
    assert api.get("/api/v1/devices/br001-rtr1").status_code == 200
    assert api.get("/api/v1/devices/no-such-device").status_code == 404
    text = api.get("/metrics", user=None).text
    assert 'route="/api/v1/devices/{name}",status="200"' in text
    assert 'route="/api/v1/devices/{name}",status="404"' in text
    assert "br001-rtr1" not in text
    assert "ward_api_request_duration_seconds_bucket" in text


def test_healthz_checks_the_database_broker_and_workers(api: Any) -> None:
    answer = api.get("/healthz", user=None)
    body = answer.json()
    assert answer.status_code == 200 and body["status"] in ("ok", "degraded")
    assert body["database"]["ok"] and body["database"]["revision"] == "0007_api_tokens"
    assert body["broker"] == {"ok": True, "kind": "redis", "detail": None}
    assert body["workers"]["schedules"][0]["schedule"] == "probes"


def test_healthz_is_503_when_the_broker_is_down(api_env: Any, serve_app: Any) -> None:
    settings = api_env.settings_with(broker_url="redis://127.0.0.1:1/0")
    with serve_app(create_app(settings, engine=api_env.engine)) as url:
        answer = httpx.get(f"{url}/healthz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "down" and answer.json()["broker"]["ok"] is False
    assert "127.0.0.1:1" not in answer.text


def test_an_inventory_import_drops_the_cached_device_list(api: Any, api_env: Any, tmp_path: Any) -> None:
    client = redis.Redis.from_url(api_env.redis_url)
    before = api.get("/api/v1/devices", params={"limit": 500})
    assert before.json()["total"] == 8
    assert client.exists(CACHE_KEY)
    inventory = tmp_path / "more.yml"
    inventory.write_text(
        "devices:\n  - {name: zz-new-1, host: 127.30.0.1, platform: cisco_ios, site: branch-001}\n",
        encoding="utf-8",
    )
    imported = subprocess.run(
        [sys.executable, "-m", "ward_core.cli", "inventory", "import", str(inventory)],
        env=api_env.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    assert not client.exists(CACHE_KEY)
    after = api.get(
        "/api/v1/devices", params={"limit": 500}, headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200 and after.json()["total"] == 9
    assert after.json()["items"][-1]["name"] == "zz-new-1"
    client.close()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/devices/no-such-device", 404),
        ("/api/v1/alerts/2147483000", 404),
        ("/api/v1/configs/no-such-device/versions", 404),
        ("/api/v1/topology", 404),
        ("/api/v1/remediation/requests/2147483000", 404),
        ("/api/v1/devices?selector=site:nowhere", 404),
    ],
)
def test_missing_things_are_404_with_a_message(api: Any, path: str, status: int) -> None:
    answer = api.get(path)
    assert answer.status_code == status
    assert answer.json()["code"] == "not_found" and answer.json()["detail"]

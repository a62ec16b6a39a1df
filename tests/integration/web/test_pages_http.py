"""The approver pages over plain HTTP against a real ``ward api``: the session cookie, CSRF, and
every refusal policy or access control makes, shown as a page with its status, never a 500."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import Web  # type: ignore[import-not-found]

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

UPLINK = "GigabitEthernet1/0/28"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@pytest.fixture
def session_of(web: Web) -> Iterator[object]:
    opened: list[httpx.Client] = []

    def open_session(user: str) -> httpx.Client:
        client = httpx.Client(base_url=web.base, timeout=30, follow_redirects=False)
        opened.append(client)
        answer = client.post("/ui/login", data={"token": web.tokens[user], "next": "/ui/approvals"})
        assert answer.status_code == 303, answer.text
        return client

    yield open_session
    for client in opened:
        client.close()


def csrf_of(client: httpx.Client, path: str = "/ui/approvals") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def decide(client: httpx.Client, request_id: int, decision: str, **extra: str) -> httpx.Response:
    form = {"csrf_token": csrf_of(client, f"/ui/approvals/{request_id}"), "decision": decision, **extra}
    return client.post(f"/ui/approvals/{request_id}", data=form)


def alert_text(page: httpx.Response) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page.text, re.S)
    assert found is not None, page.text[:2000]
    return html.unescape(found.group(1))


def test_pages_send_strangers_to_the_login_form_with_strict_headers(web: Web) -> None:
    with httpx.Client(base_url=web.base, follow_redirects=False) as client:
        answer = client.get("/ui/approvals/5")
        login = client.get("/ui/login")
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/login?next=/ui/approvals/5"
    assert login.status_code == 200 and 'type="password"' in login.text
    csp = login.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert login.headers["x-frame-options"] == "DENY" and login.headers["cache-control"] == "no-store"


def test_a_bad_token_is_refused_and_audited_and_a_good_one_becomes_a_strict_cookie(web: Web) -> None:
    before = len(web.audit(kind="api.unauthorized"))
    with httpx.Client(base_url=web.base, follow_redirects=False) as client:
        bad = client.post("/ui/login", data={"token": "ward_not-a-token"})
        empty = client.post("/ui/login", data={"token": "  "})
        good = client.post("/ui/login", data={"token": web.tokens["bob"], "next": "//evil.example/"})
    assert bad.status_code == 401 and "not authenticated" in alert_text(bad)
    assert empty.status_code == 400 and "token: paste your token" in alert_text(empty)
    assert len(web.audit(kind="api.unauthorized")) == before + 1
    assert good.status_code == 303 and good.headers["location"] == "/ui/approvals"
    cookie = good.headers["set-cookie"]
    assert cookie.startswith(f"ward_token={web.tokens['bob']};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


def test_a_decision_without_the_csrf_token_or_from_another_site_changes_nothing(
    web: Web, session_of: object
) -> None:
    request_id = web.propose("alice", "ios.interface_bounce", "br001-sw3", f"interface={UPLINK}", "hold_s=1")
    bob = session_of("bob")  # type: ignore[operator]
    missing = bob.post(f"/ui/approvals/{request_id}", data={"decision": "approve"})
    forged = bob.post(
        f"/ui/approvals/{request_id}",
        data={"decision": "approve", "csrf_token": csrf_of(bob)},
        headers={"Origin": "https://evil.example"},
    )
    wrong = bob.post(f"/ui/approvals/{request_id}", data={"decision": "approve", "csrf_token": "0" * 64})
    for answer in (missing, forged, wrong):
        assert answer.status_code == 403 and "reload the page" in alert_text(answer)
    assert web.request(request_id).state == "pending"
    assert web.audit(request_id, "decision.recorded") == []
    rejected = decide(
        bob,
        request_id,
        "reject",
        comment="not during business hours",
        plan_hash=web.request(request_id).plan_hash,
    )
    assert rejected.status_code == 303 and rejected.headers["location"].endswith("?done=rejected")
    assert web.request(request_id).state == "rejected"


def test_policy_refusals_are_shown_on_the_page(web: Web, session_of: object) -> None:
    bob, carol = session_of("bob"), session_of("carol")  # type: ignore[operator]
    stale_plan = web.propose("alice", "ios.interface_bounce", "br001-sw4", f"interface={UPLINK}", "hold_s=1")
    changed = decide(bob, stale_plan, "approve", plan_hash="deadbeefdeadbeef")
    assert changed.status_code == 409
    assert "plan hash 'deadbeefdeadbeef' is not the request's current plan" in alert_text(changed)

    shown_hash = web.request(stale_plan).plan_hash
    withdrawn = decide(bob, stale_plan, "reject", comment="wrong interface", plan_hash=shown_hash)
    assert withdrawn.status_code == 303
    late = decide(carol, stale_plan, "approve", plan_hash=web.request(stale_plan).plan_hash)
    assert late.status_code == 409 and "the request is rejected: it can no longer be decided" in alert_text(
        late
    )

    expiring = web.propose("alice", "ios.clear_counters", "br001-sw1", f"interface={UPLINK}")
    form_hash = web.request(expiring).plan_hash
    token = csrf_of(bob, f"/ui/approvals/{expiring}")
    time.sleep(2.5)
    expired = bob.post(
        f"/ui/approvals/{expiring}",
        data={"csrf_token": token, "decision": "approve", "plan_hash": form_hash},
    )
    assert expired.status_code == 409 and "expired" in alert_text(expired)
    assert web.request(expiring).state == "expired"
    assert 'value="approve"' not in bob.get(f"/ui/approvals/{expiring}").text

    odd = decide(bob, stale_plan, "maybe")
    assert odd.status_code == 400 and "decision: choose approve or reject" in alert_text(odd)
    missing = bob.get("/ui/approvals/987654")
    assert missing.status_code == 404 and "no remediation request 987654" in missing.text


def test_a_token_without_the_permission_gets_a_403_page_and_the_status_page(
    web: Web, session_of: object
) -> None:
    vera = session_of("vera-devices")  # type: ignore[operator]
    queue = vera.get("/ui/approvals")
    assert queue.status_code == 403 and "lacks the permission remediation.view" in queue.text
    status = vera.get("/ui/status")
    assert status.status_code == 200 and "Devices by site" in status.text
    assert "Firing alerts" not in status.text and "Last backup per device" not in status.text
    assert "live.js" not in status.text


def test_logging_out_clears_the_cookie(web: Web, session_of: object) -> None:
    bob = session_of("bob")  # type: ignore[operator]
    token = csrf_of(bob)
    out = bob.post("/ui/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/ui/login?done=logged-out"
    assert out.headers["set-cookie"].startswith('ward_token="";') and "Max-Age=0" in out.headers["set-cookie"]
    after = bob.get("/ui/approvals")
    assert after.status_code == 303 and after.headers["location"].startswith("/ui/login")


def test_a_decision_from_a_token_without_approvals_decide_is_refused_and_changes_nothing(
    web: Web, session_of: object
) -> None:
    request_id = web.propose("alice", "ios.interface_bounce", "br001-sw3", f"interface={UPLINK}", "hold_s=1")
    web.tokens["bob-view-only"] = web.token("bob", "remediation.view")
    viewer = session_of("bob-view-only")  # type: ignore[operator]
    plan_hash = web.request(request_id).plan_hash
    for decision in ("approve", "reject"):
        answer = decide(viewer, request_id, decision, plan_hash=plan_hash)
        assert answer.status_code == 403 and "approvals.decide" in answer.text, answer.text[:2000]
    assert web.request(request_id).state == "pending"
    assert web.audit(request_id, "decision.recorded") == []

"""The approver's page in headless Chromium against a real ``ward api``, worker, lab and database.

Tests run in file order and share one lab; each works on its own device.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from .conftest import AlertFirer, Web, chromium_path  # type: ignore[import-not-found]

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

UPLINK = "GigabitEthernet1/0/28"
PAGE_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def signed_in(browser: Browser, web: Web, user: str) -> Iterator[Page]:
    """A fresh browser context, logged in through the form with ``user``'s token."""
    context: BrowserContext = browser.new_context(base_url=web.base)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/ui/approvals")
        expect(page).to_have_url(re.compile(r"/ui/login\?next=/ui/approvals$"))
        page.get_by_label("API token").fill(web.tokens[user])
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/ui/approvals$"))
        expect(page.locator("nav .who")).to_contain_text(f"signed in as {user}")
        yield page
    finally:
        context.close()


class Watch:
    """Samples an interface's admin state from the lab every 50 ms while a block runs."""

    def __init__(self, web: Web, device: str, interface: str) -> None:
        self.web, self.device, self.interface = web, device, interface
        self.seen: list[bool] = []
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.seen.append(self.web.admin_up(self.device, self.interface))
            time.sleep(0.05)

    @contextmanager
    def running(self) -> Iterator[Watch]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(5)


def test_an_approver_logs_in_sees_the_plan_approves_and_watches_it_run(browser: Browser, web: Web) -> None:
    device = "br001-sw1"
    request_id = web.propose("alice", "ios.interface_bounce", device, f"interface={UPLINK}", "hold_s=1")
    with signed_in(browser, web, "bob") as page:
        card = page.locator(f"#request-{request_id}")
        expect(card).to_be_visible()
        expect(card.locator(".commands")).to_have_text(
            f"interface {UPLINK}\nshutdown\ninterface {UPLINK}\nno shutdown\n"
        )
        expect(card.locator(".requester")).to_contain_text("alice")
        expect(card.locator(".approvals")).to_contain_text("0 of 1")
        expect(card.locator(".time-left")).to_contain_text("expires")
        expect(card).to_contain_text("uplink errors")
        expect(card.locator(".diff-none")).to_contain_text("No net change")
        plan_hash = web.request(request_id).plan_hash
        expect(card).to_contain_text(plan_hash)

        with Watch(web, device, UPLINK).running() as watch:
            card.get_by_label("Comment (kept in the audit log)").fill("errors confirmed")
            card.get_by_role("button", name="Approve this plan").click()
            expect(page).to_have_url(re.compile(rf"/ui/approvals/{request_id}\?done=approved$"))
            expect(page.get_by_role("status").first).to_contain_text("approved and was handed to a worker")
            expect(page.locator(f"#request-{request_id} .state").first).to_have_text(
                "succeeded", timeout=90_000
            )
        assert web.request(request_id).state == "succeeded", web.logs()
        verify = page.locator('.step[data-step="verify"]')
        expect(verify).to_have_attribute("data-ok", "true")
        expect(verify).to_contain_text("line protocol is up")
        expect(page.locator(".decisions")).to_contain_text("approve by bob")
        expect(page.locator(".decisions")).to_contain_text("errors confirmed")
    assert False in watch.seen and watch.seen[-1] is True, "the lab interface never went down and up"
    assert web.admin_up(device, UPLINK)
    recorded = web.audit(request_id, "decision.recorded")
    assert len(recorded) == 1 and recorded[0].actor == "bob"
    calls = [json.loads(r.payload) | {"actor": r.actor} for r in web.audit(kind="api.call")]
    ours = [c for c in calls if c["target"] == {"request_id": str(request_id)}]
    assert [(c["actor"], c["route"], c["outcome"]) for c in ours] == [
        ("bob", "POST /ui/approvals/{request_id}", 303)
    ]


def test_the_page_refuses_self_approval_with_the_policy_message(browser: Browser, web: Web) -> None:
    device = "br001-sw2"
    request_id = web.propose("alice", "ios.interface_bounce", device, f"interface={UPLINK}", "hold_s=1")
    with signed_in(browser, web, "alice") as page:
        card = page.locator(f"#request-{request_id}")
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            card.get_by_role("button", name="Approve this plan").click()
        assert posted.value.status == 409
        expect(page.get_by_role("alert")).to_contain_text(
            "alice requested it: the requester never approves their own request"
        )
        expect(page.locator(f"#request-{request_id} .state").first).to_have_text("pending")
    assert web.request(request_id).state == "pending"
    refused = web.audit(request_id, "decision.refused")
    assert len(refused) == 1 and refused[0].actor == "alice"


def test_the_status_page_shows_sites_and_receives_alerts_live(
    browser: Browser, web: Web, firer: AlertFirer
) -> None:
    web.ping_loss({"br001-rtr1": 0.0, "br001-sw1": 0.0, "br001-sw4": 100.0})
    with signed_in(browser, web, "carol") as page:
        page.goto("/ui/status")
        branch = page.locator('tr[data-site="branch-001"]')
        expect(branch.locator("td").nth(0)).to_have_text("2")
        expect(branch.locator("td").nth(1)).to_have_text("1: br001-sw4")
        expect(branch.locator("td").nth(2)).to_contain_text("br001-sw2")
        expect(page.locator('.backups tr[data-device="br001-sw1"] .stale')).to_have_text("stale")
        expect(page.locator("#live-status")).to_have_text("live")
        firer.fire("br001-rtr1")
        expect(page.locator("#live-alerts li").first).to_contain_text(
            "fired: web-errors on br001-rtr1 (critical)"
        )
        firer.resolve("br001-rtr1")
        expect(page.locator("#live-alerts li").first).to_contain_text("resolved: web-errors on br001-rtr1")
        page.reload()
        expect(page.locator(".alerts")).to_have_count(0)
        expect(page.get_by_text("No alert was firing.")).to_be_visible()

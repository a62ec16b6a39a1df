"""The ``webhook`` notifier: one signed JSON POST per site notice, retried with backoff.

Body: ``{"version": 1, "site": ..., "created_at": ..., "firing": n, "resolved": n, "alerts": [...]}``
(see :func:`ward_core.alerts.notices.alert_to_dict` for an alert). Connection errors, timeouts,
HTTP 429 and 5xx are retried ``attempts`` times, waiting ``backoff_s`` doubled each time; a 4xx
other than 429 is final. A delivery that still fails raises, and ward's outbox retries it later.
"""

from __future__ import annotations

import json
import logging
import time

import httpx

from ward_core.alerts.notices import notice_to_payload
from ward_core.types import Alert, AlertNotice
from ward_notify.config import WebhookConfig
from ward_notify.signing import sign

log = logging.getLogger("ward.notify.webhook")

VERSION = 1
RETRIED_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookError(RuntimeError):
    """A notice could not be posted; the message names the URL and the last failure."""


class WebhookNotifier:
    """Posts notices to one URL, signed with HMAC-SHA256 when a secret is configured."""

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self.key = config.signing_key()
        self._client = httpx.Client(timeout=config.timeout_s, follow_redirects=False)

    def body(self, notice: AlertNotice) -> bytes:
        """The JSON body of ``notice``."""
        return json.dumps({"version": VERSION, **notice_to_payload(notice)}, sort_keys=True).encode()

    def send_notice(self, notice: AlertNotice) -> None:
        """POST ``notice``; raises :class:`WebhookError` once every attempt failed."""
        body = self.body(notice)
        last = ""
        for attempt in range(1, self.config.attempts + 1):
            headers = {"Content-Type": "application/json", "User-Agent": "ward-alerts"}
            if self.key is not None:
                headers.update(sign(self.key, body))
            try:
                response = self._client.post(self.config.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    return
                last = f"HTTP {response.status_code}"
                if response.status_code not in RETRIED_STATUS:
                    break
            if attempt < self.config.attempts:
                delay = self.config.backoff_s * 2 ** (attempt - 1)
                log.info(
                    "webhook %s: attempt %d failed (%s), retrying in %.2f s",
                    self.config.url,
                    attempt,
                    last,
                    delay,
                )
                time.sleep(delay)
        raise WebhookError(f"webhook {self.config.url}: {last}")

    def send(self, alert: Alert) -> None:
        """POST one alert as a notice of its own."""
        self.send_notice(
            AlertNotice(site=alert.site, alerts=(alert,), created_at=alert.resolved_at or alert.started_at)
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

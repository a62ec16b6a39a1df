"""The ``logging`` notifier: every notice written to the ``ward.notify`` logger (warning level for
firing alerts, info for resolved ones). It cannot fail, so it is a safe default route."""

from __future__ import annotations

import logging

from ward_core.types import Alert, AlertNotice
from ward_notify.text import notice_lines

log = logging.getLogger("ward.notify")


class LogNotifier:
    """Writes notices to the log."""

    def send_notice(self, notice: AlertNotice) -> None:
        """Log every line of ``notice``."""
        level = logging.WARNING if notice.firing else logging.INFO
        for line in notice_lines(notice):
            log.log(level, "%s", line)

    def send(self, alert: Alert) -> None:
        """Log one alert."""
        self.send_notice(
            AlertNotice(site=alert.site, alerts=(alert,), created_at=alert.resolved_at or alert.started_at)
        )

"""The ``email`` notifier: one plain-text mail per site notice, over SMTP (STARTTLS or TLS, login
optional). A failure raises, and ward's outbox retries the notice with backoff.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ward_core.types import Alert, AlertNotice
from ward_notify.config import EmailConfig
from ward_notify.text import notice_lines, notice_subject


class EmailNotifier:
    """Sends notices to the configured recipients."""

    def __init__(self, config: EmailConfig) -> None:
        self.config = config
        self.password = config.password()

    def message(self, notice: AlertNotice) -> EmailMessage:
        """The mail for ``notice``."""
        message = EmailMessage()
        message["Subject"] = notice_subject(notice)
        message["From"] = self.config.sender
        message["To"] = ", ".join(self.config.recipients)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="ward.alerts")
        message["X-Ward-Site"] = notice.site or "-"
        message.set_content("\n".join(notice_lines(notice)) + "\n")
        return message

    def send_notice(self, notice: AlertNotice) -> None:
        """Send one mail; raises on any SMTP or connection failure."""
        config = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if config.ssl:
            smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
        with smtp:
            if config.starttls and not config.ssl:
                smtp.starttls(context=context)
            if config.username:
                smtp.login(config.username, self.password or "")
            smtp.send_message(self.message(notice))

    def send(self, alert: Alert) -> None:
        """Send one alert as a notice of its own."""
        self.send_notice(
            AlertNotice(site=alert.site, alerts=(alert,), created_at=alert.resolved_at or alert.started_at)
        )

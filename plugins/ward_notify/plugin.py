"""The module ward loads for the ``notify`` entry point: the ``webhook``, ``email`` and ``logging``
notifiers, configured from ``Settings.notify_file`` at start-up."""

from __future__ import annotations

from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.types import NotifierSpec
from ward_notify.config import read_config
from ward_notify.email import EmailNotifier
from ward_notify.logger import LogNotifier
from ward_notify.webhook import WebhookNotifier


class NotifyState:
    """The notifiers built by ``ward_configure``."""

    def __init__(self) -> None:
        self.specs: list[NotifierSpec] = []
        self.webhook: WebhookNotifier | None = None

    def configure(self, settings: Settings) -> None:
        """Read the notifiers' file and build the notifiers (ConfigError names file and field)."""
        self.close()
        config = read_config(settings.notify_file)
        log_notifier = LogNotifier()
        specs = [
            NotifierSpec(
                name="logging",
                description="write notices to the ward.notify logger",
                notifier=log_notifier,
                notices=log_notifier,
            )
        ]
        if config.webhook is not None:
            self.webhook = WebhookNotifier(config.webhook)
            specs.append(
                NotifierSpec(
                    name="webhook",
                    description=f"POST signed JSON notices to {config.webhook.url}",
                    notifier=self.webhook,
                    notices=self.webhook,
                )
            )
        if config.email is not None:
            email = EmailNotifier(config.email)
            specs.append(
                NotifierSpec(
                    name="email",
                    description=f"mail notices to {', '.join(config.email.recipients)} "
                    f"via {config.email.host}",
                    notifier=email,
                    notices=email,
                )
            )
        self.specs = specs

    def close(self) -> None:
        """Close the webhook's connections."""
        if self.webhook is not None:
            self.webhook.close()
            self.webhook = None
        self.specs = []


STATE = NotifyState()


@hookimpl
def ward_configure(settings: Settings) -> None:
    """Build the notifiers from ``settings.notify_file``."""
    STATE.configure(settings)


@hookimpl
def ward_alert_notifiers() -> list[NotifierSpec]:
    """The configured notifiers."""
    return list(STATE.specs)


@hookimpl
def ward_unconfigure() -> None:
    """Close the notifiers."""
    STATE.close()

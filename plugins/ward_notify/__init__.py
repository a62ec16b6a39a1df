"""Ward's first-party alert notifiers: a signed webhook, email over SMTP, and the log.

Configured by the YAML file named in ``Settings.notify_file`` (see :mod:`ward_notify.config`);
without one, only the ``logging`` notifier is offered.
"""

PLUGIN = "notify"

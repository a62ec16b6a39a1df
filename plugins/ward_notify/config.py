"""The notifiers' configuration file (``Settings.notify_file``)::

    webhook:
      url: https://hooks.example.net/ward        # http:// or https://
      secret_env: WARD_WEBHOOK_SECRET             # or secret: "..." (prefer the environment)
      timeout_s: 5
      attempts: 3                                  # tries per delivery (then the outbox retries)
      backoff_s: 0.5                               # doubled after each failed try
    email:
      host: smtp.example.net
      port: 587
      starttls: true
      username: ward                               # optional
      password_env: WARD_SMTP_PASSWORD             # optional
      sender: ward@example.net
      recipients: [noc@example.net]
      timeout_s: 10

Each section is optional: a ``webhook`` section offers the ``webhook`` notifier, an ``email``
section the ``email`` notifier. Errors name the file and the field.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ward_core.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(_Section):
    """Where and how to post notices."""

    url: str = Field(pattern=r"^https?://")
    secret: str | None = None
    secret_env: str | None = None
    timeout_s: float = Field(default=5.0, gt=0)
    attempts: int = Field(default=3, ge=1, le=10)
    backoff_s: float = Field(default=0.5, ge=0)

    def signing_key(self) -> bytes | None:
        """The HMAC key: ``secret``, else the environment variable ``secret_env`` (ConfigError
        when it is not set), else None (unsigned)."""
        if self.secret:
            return self.secret.encode()
        if self.secret_env:
            value = os.environ.get(self.secret_env)
            if not value:
                raise ConfigError(f"webhook secret_env: environment variable {self.secret_env} is not set")
            return value.encode()
        return None


class EmailConfig(_Section):
    """How to send notices by mail."""

    host: str
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password_env: str | None = None
    sender: str
    recipients: list[str] = Field(min_length=1)
    timeout_s: float = Field(default=10.0, gt=0)

    def password(self) -> str | None:
        """The SMTP password from ``password_env`` (ConfigError when it is not set)."""
        if not self.password_env:
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError(f"email password_env: environment variable {self.password_env} is not set")
        return value


class NotifyConfig(_Section):
    """The whole file."""

    webhook: WebhookConfig | None = None
    email: EmailConfig | None = None


def read_config(path: Path | None) -> NotifyConfig:
    """The configuration in ``path`` (an empty one when None); ConfigError naming file and field."""
    if path is None:
        return NotifyConfig()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    try:
        return NotifyConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc

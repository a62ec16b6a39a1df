"""Typed settings, read once at start-up and passed explicitly.

Sources, highest priority first: keyword arguments, ``WARD_*`` environment variables, a ``ward.toml``
file (``WARD_CONFIG`` or ``./ward.toml``), defaults. The embedded default needs no server at all:
SQLite in the working folder and an in-process queue.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ward_core.errors import ConfigError

DEFAULT_CONFIG_FILE = "ward.toml"


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the optional ``ward.toml`` (flat keys matching the field names)."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = {}
        if path is not None and path.is_file():
            try:
                self._data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path}: {exc}") from exc
            unknown = set(self._data) - set(settings_cls.model_fields)
            if unknown:
                raise ConfigError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    """Ward's settings. Every field can be set as ``WARD_<FIELD>`` or in ``ward.toml``."""

    model_config = SettingsConfigDict(env_prefix="WARD_", extra="forbid")

    database_url: str = Field(
        default="sqlite:///ward.db",
        description="SQLAlchemy URL; PostgreSQL (postgresql+psycopg://) in production, SQLite by default.",
    )
    broker_url: str | None = Field(
        default=None,
        description="redis:// URL of the Dramatiq broker; unset means the in-process queue.",
    )
    secrets_file: Path | None = Field(
        default=None,
        description="YAML file mapping credential names to their fields (username, password, ...).",
    )
    blocked_plugins: list[str] = Field(
        default_factory=list,
        description="Plugin names never loaded, even when installed.",
    )
    poll_kinds: list[str] = Field(
        default_factory=list,
        description="Probe kinds `ward poll` and the scheduler run; empty means every declared kind "
        "except the reference plugin's examples.",
    )
    poll_batch_size: int = Field(
        default=200,
        ge=1,
        description="Devices per probe batch (one queue message, one transaction).",
    )
    templates_dir: Path | None = Field(
        default=None,
        description="Folder of per-platform templates (backup rules, intended configs); "
        "unset means the templates/ folder beside the ward_core package.",
    )
    playbooks_dir: Path | None = Field(
        default=None,
        description="Folder of playbooks whose `schedule:` `ward scheduler` honours; unset means no "
        "playbook is scheduled.",
    )
    backup_interval_s: float = Field(
        default=86400.0,
        gt=0,
        description="Seconds after which a device's last successful backup is stale (a device's "
        "vars.backup_interval_s overrides it).",
    )
    backup_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Most seconds one device's backup may take (connect, login and commands).",
    )
    backup_workers: int = Field(default=50, ge=1, description="SSH sessions a backup run opens at once.")
    backup_per_site: int = Field(
        default=10, ge=1, description="Most SSH sessions a backup run opens at once to one site."
    )
    topology_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Most seconds collecting one device's neighbours may take (SSH or SNMP).",
    )
    topology_workers: int = Field(
        default=50, ge=1, description="Devices a topology discovery collects from at once."
    )
    topology_observation_retention_days: int = Field(
        default=30,
        ge=1,
        description="Days `ward topology prune` keeps raw neighbour observations; each device's "
        "newest observation and those the latest discovery was built from are kept whatever their age.",
    )
    topology_snapshot_keep: int = Field(
        default=500,
        ge=1,
        description="Newest discoveries (snapshots) `ward topology prune` keeps for show, diff and "
        "explain (500: three weeks at one discovery an hour); the latest is always kept.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis:// URL where alert transitions are published (channel ward:alerts); unset "
        "means broker_url when that is a redis:// URL, else nothing is published.",
    )
    notify_file: Path | None = Field(
        default=None,
        description="YAML file configuring the first-party alert notifiers (webhook URL and HMAC "
        "secret, SMTP server and recipients); unset means only the log notifier.",
    )
    user: str | None = Field(
        default=None,
        description="Who runs ward commands (WARD_USER): the identity remediation requests, approvals "
        "and audit records name; must be a user of roles_file.",
    )
    token: str | None = Field(
        default=None,
        description="A personal token (WARD_TOKEN) identifying the user through roles_file's "
        "token_sha256 entries; required instead of WARD_USER when roles_file says identity: token.",
    )
    roles_file: Path | None = Field(
        default=None,
        description="YAML file of users, their roles and token digests (remediation approvals).",
    )
    approval_policy_file: Path | None = Field(
        default=None,
        description="YAML file of remediation approval rules (per action, site, device group, "
        "severity: how many approvals from which roles); unset means nothing can be proposed.",
    )
    approval_ttl_s: float = Field(
        default=4 * 3600.0,
        gt=0,
        description="Seconds a remediation request stays open for approval and execution (a policy "
        "rule's ttl_s overrides it).",
    )
    remediation_time_limit_s: float = Field(
        default=900.0,
        gt=0,
        description="Most seconds one remediation execution may take on a worker (Dramatiq time limit).",
    )
    remediation_device_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Most seconds one remediation command (or connecting) may take on a device.",
    )
    remediation_reap_grace_s: float = Field(
        default=300.0,
        ge=0,
        description="Seconds past remediation_time_limit_s after which a request still running is "
        "taken as lost with its worker and marked failed (ward remediation reap).",
    )
    alert_requester: str = Field(
        default="ward-alerts",
        pattern=r"^[A-Za-z0-9_.@-]{1,255}$",
        description="The identity alert rules propose their remediation as; it never approves or "
        "rejects a request.",
    )
    lab_dir: Path = Field(
        default=Path(".ward-lab"),
        description="Where the simulated lab keeps its pid file, log and state.",
    )
    api_max_body_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="Largest request body the HTTP API reads; a larger one is refused with 413.",
    )
    api_rate_window_s: float = Field(
        default=60.0, gt=0, description="The HTTP API's rate-limit window, in seconds."
    )
    api_rate_limit_per_token: int = Field(
        default=1200,
        ge=1,
        description="Requests one API token may make per window (429 with Retry-After beyond).",
    )
    api_rate_limit_per_address: int = Field(
        default=2400,
        ge=1,
        description="Requests one client address may make per window, whatever the token (429 beyond).",
    )
    api_device_cache_ttl_s: float = Field(
        default=10.0,
        ge=0,
        description="Seconds the HTTP API keeps a device-list page in Redis (0: no cache); an "
        "inventory import drops it at once.",
    )
    api_stream_recheck_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between two checks of an open alert stream's token and permission; a "
        "token revoked or expired, or a role removed, closes the stream at the next check.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_path = Path(os.environ.get("WARD_CONFIG", DEFAULT_CONFIG_FILE))
        return (init_settings, env_settings, _TomlFileSource(settings_cls, config_path))


def load_settings(**overrides: Any) -> Settings:
    """Read settings once; a bad value raises :class:`ConfigError` naming the field."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from exc

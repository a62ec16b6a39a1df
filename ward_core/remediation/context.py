"""What every remediation service needs, built once per process and passed explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ward_core.config import Settings
from ward_core.errors import RequestRefused
from ward_core.inventory.credentials import CredentialResolver
from ward_core.inventory.targets import load_targets
from ward_core.plugin_manager import WardPlugins
from ward_core.remediation.identity import Directory, load_directory
from ward_core.remediation.policy import ApprovalPolicy, load_policy
from ward_core.remediation.registry import ActionRegistry
from ward_core.remediation.session import NetmikoSession
from ward_core.types import DeviceSession, DeviceTarget


class OpenSession(DeviceSession, Protocol):
    """A device session the service closes when the request's work is done."""

    transcript: list[str]

    def close(self) -> None: ...


SessionOpener = Callable[[DeviceTarget], OpenSession]


@dataclass(frozen=True, slots=True)
class RemediationContext:
    """Engine, plugins, settings, the action registry and how to open device sessions.

    The policy and roles files are read again each time :meth:`policy` / :meth:`directory` is
    called: what is in force is what the files say at that moment.
    """

    engine: Engine
    plugins: WardPlugins
    settings: Settings
    registry: ActionRegistry
    open_session: SessionOpener

    @classmethod
    def build(
        cls,
        engine: Engine,
        plugins: WardPlugins,
        settings: Settings,
        open_session: SessionOpener | None = None,
    ) -> RemediationContext:
        """The context of a CLI or worker process."""
        resolver = CredentialResolver.from_settings(settings)
        timeout = settings.remediation_device_timeout_s

        def netmiko_session(device: DeviceTarget) -> OpenSession:
            return NetmikoSession(device, resolver, timeout_s=timeout)

        return cls(engine, plugins, settings, ActionRegistry(plugins), open_session or netmiko_session)

    def policy(self) -> ApprovalPolicy:
        """The approval policy in force now."""
        return load_policy(self.settings)

    def directory(self) -> Directory:
        """The users and roles in force now."""
        return load_directory(self.settings)


def device_target(session: Session, name: str) -> DeviceTarget:
    """The inventory's device ``name`` (with its groups); RequestRefused when it is not there."""
    found = load_targets(session, names=[name])
    if not found:
        raise RequestRefused(f"device {name!r} is not in the inventory")
    return found[0]

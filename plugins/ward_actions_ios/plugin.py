"""The module ward loads for the ``ios-actions`` entry point."""

from __future__ import annotations

from ward_actions_ios.compliance import compliance_actions
from ward_actions_ios.device_actions import device_actions
from ward_actions_ios.interfaces import interface_actions
from ward_actions_ios.state import STATE
from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.plugin_manager import WardPlugins
from ward_core.types import ActionSpec


@hookimpl
def ward_configure(settings: Settings, plugins: WardPlugins) -> None:
    """Keep the settings and plugins (redaction chain, compliance report)."""
    STATE.configure(settings, plugins)


@hookimpl
def ward_unconfigure() -> None:
    """Release the database engine."""
    STATE.close()


@hookimpl
def ward_remediation_actions() -> list[ActionSpec]:
    """The seven IOS actions (see the package docstring)."""
    return [*interface_actions(), *compliance_actions(), *device_actions()]

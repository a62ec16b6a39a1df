"""What the plugin keeps between ``ward_configure`` and ``ward_unconfigure``.

Configured, it resolves credentials with the settings' secrets file and asks every plugin for
resource OIDs. Used before ward configured it (a script calling the hooks directly), it resolves
credentials from ``WARD_CRED_*`` environment variables only and knows the built-in OIDs only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ward_core.config import Settings
from ward_core.inventory.credentials import CredentialResolver
from ward_core.snmp_sessions import KeyCache, SessionFactory
from ward_snmp.resource_registry import ResourceRegistry


@dataclass(frozen=True, slots=True)
class PluginState:
    """Session factory (credentials, key cache) and the resource OID registry."""

    sessions: SessionFactory
    resources: ResourceRegistry

    @classmethod
    def from_settings(cls, settings: Settings) -> PluginState:
        """State for a configured plugin: the settings' secrets, every plugin's resource OIDs."""
        registry = ResourceRegistry()
        registry.load_entry_points(blocked=settings.blocked_plugins)
        return cls(SessionFactory(CredentialResolver.from_settings(settings), KeyCache()), registry)

    @classmethod
    def unconfigured(cls) -> PluginState:
        """State before configuration: environment credentials, built-in resource OIDs."""
        return cls(SessionFactory(CredentialResolver(), KeyCache()), ResourceRegistry())


class StateHolder:
    """The current state; a module-level instance lives in :mod:`ward_snmp.plugin`."""

    def __init__(self) -> None:
        self._state: PluginState | None = None

    def configure(self, settings: Settings) -> None:
        """Replace the state with one built from ``settings``."""
        self._state = PluginState.from_settings(settings)

    def clear(self) -> None:
        """Forget the configured state."""
        self._state = None

    @property
    def current(self) -> PluginState:
        """The configured state, or an unconfigured one (built on first use)."""
        if self._state is None:
            self._state = PluginState.unconfigured()
        return self._state

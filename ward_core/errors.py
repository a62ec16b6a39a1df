"""Every error ward raises, in one tree.

::

    WardError
    ├── ConfigError                  settings or a config file are wrong
    ├── PluginError                  a plugin failed to load, or broke the contract
    │   └── PluginBlocked
    ├── InventoryError               an inventory file or record is wrong (names file, line, field)
    │   └── CredentialError          a credential reference cannot be resolved
    ├── StorageError                 the database cannot be reached or migrated
    ├── DeviceError                  something went wrong talking to one device (names the device)
    │   ├── DeviceUnreachable
    │   ├── AuthenticationFailed
    │   ├── CommandRejected
    │   └── DeviceTimeout
    └── LabError                     the simulated lab cannot start, stop or parse its topology

Errors carry their context as attributes so that bulk runs can report them as data.
"""

from __future__ import annotations


class WardError(Exception):
    """Base of every ward error."""


class ConfigError(WardError):
    """Settings or a configuration file are invalid."""


class PluginError(WardError):
    """A plugin failed to load or broke the plugin contract."""

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}" if plugin else message)


class PluginBlocked(PluginError):
    """A plugin was asked for by name but is blocked in configuration."""


class InventoryError(WardError):
    """An inventory source is invalid.

    ``source`` is the file (or ``"database"``), ``location`` the line or row, ``field`` the
    offending field. The message always names whichever of them are known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        location: str | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.location = location
        self.field = field
        self.reason = message
        where = ":".join(p for p in (source, location) if p)
        parts = [where] if where else []
        if field:
            parts.append(f"field {field!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class CredentialError(InventoryError):
    """A credential reference cannot be resolved (the secret itself is never shown)."""


class StorageError(WardError):
    """The database cannot be reached, migrated or written."""


class DeviceError(WardError):
    """Talking to one device failed. ``device`` names it, ``plugin`` says who tried."""

    def __init__(self, message: str, *, device: str, plugin: str | None = None) -> None:
        self.device = device
        self.plugin = plugin
        by = f" ({plugin})" if plugin else ""
        super().__init__(f"{device}{by}: {message}")


class DeviceUnreachable(DeviceError):
    """The device did not answer at all."""


class AuthenticationFailed(DeviceError):
    """The device refused the credentials."""


class CommandRejected(DeviceError):
    """The device answered a command with an error."""


class DeviceTimeout(DeviceError):
    """The device answered, but too slowly."""


class LabError(WardError):
    """The simulated lab cannot start, stop, or read its topology."""

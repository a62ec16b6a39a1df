"""Ward: plugin-based network automation.

This module is the public facade for plugin authors: ``hookimpl`` to mark hook implementations,
the core types hooks receive and return, and the error tree.
"""

from __future__ import annotations

from ward_core.errors import (
    AuthenticationFailed,
    CommandRejected,
    ConfigError,
    CredentialError,
    DeviceError,
    DeviceTimeout,
    DeviceUnreachable,
    InventoryError,
    LabError,
    PluginBlocked,
    PluginError,
    StorageError,
    WardError,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationFailed",
    "CommandRejected",
    "ConfigError",
    "CredentialError",
    "DeviceError",
    "DeviceTimeout",
    "DeviceUnreachable",
    "InventoryError",
    "LabError",
    "PluginBlocked",
    "PluginError",
    "StorageError",
    "WardError",
    "__version__",
]

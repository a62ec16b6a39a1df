"""Ward's inventory: devices, sites, regions, groups and credential references.

Files (YAML or CSV) are validated and imported with :func:`import_inventory`; the stored inventory
is read back with :func:`load_devices` / :func:`load_groups` (records) or :func:`load_targets` (the
plugin contract's ``DeviceTarget``); dynamic groups are resolved by :func:`group_members`; secrets
are resolved at run time by :class:`CredentialResolver`. Nornir gets the inventory through
``ward_core.inventory.nornir_plugin.WardInventory`` (imported on demand: it pulls in Nornir).
"""

from __future__ import annotations

from ward_core.inventory.credentials import Credential, CredentialResolver, Secret
from ward_core.inventory.filters import Filter, parse_filter
from ward_core.inventory.importer import import_inventory
from ward_core.inventory.membership import devices_in_group, group_members, groups_by_device
from ward_core.inventory.queries import load_device, load_devices, load_groups
from ward_core.inventory.targets import device_target, load_targets
from ward_core.inventory.types import DeviceRecord, GroupRecord, ImportReport, SnmpSettings

__all__ = [
    "Credential",
    "CredentialResolver",
    "DeviceRecord",
    "Filter",
    "GroupRecord",
    "ImportReport",
    "Secret",
    "SnmpSettings",
    "device_target",
    "devices_in_group",
    "group_members",
    "groups_by_device",
    "import_inventory",
    "load_device",
    "load_devices",
    "load_groups",
    "load_targets",
    "parse_filter",
]

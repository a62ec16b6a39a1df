# mypy: disable-error-code="empty-body"
"""The SNMP plugin's own hook: per-platform CPU and memory OIDs, which any plugin can add to.

The hook lives in its own pluggy project, ``ward_snmp``, so ward's plugin contract stays as it is.
A plugin adds OIDs for a platform by marking a function with :data:`hookimpl` (this module's, not
ward's) in the module its ``ward.plugins`` entry point loads::

    from ward_snmp.hookspecs import hookimpl
    from ward_snmp.resource_types import CpuOids

    @hookimpl
    def ward_snmp_resource_oids(platform):
        if platform == "juniper_junos":
            return [CpuOids(source="jnxOperatingCPU", load_column="1.3.6.1.4.1.2636.3.1.13.1.8")]
        return None

When ward configures the SNMP plugin, it registers every non-blocked ``ward.plugins`` module
holding such an implementation (:mod:`ward_snmp.resource_registry`).
"""

from __future__ import annotations

from collections.abc import Sequence

from pluggy import HookimplMarker, HookspecMarker

from ward_snmp.resource_types import ResourceOid

PROJECT = "ward_snmp"

hookspec = HookspecMarker(PROJECT)
"""Marks the SNMP plugin's hook specifications."""

hookimpl = HookimplMarker(PROJECT)
"""Marks a plugin function as an implementation of an SNMP plugin hook."""


@hookspec
def ward_snmp_resource_oids(platform: str) -> Sequence[ResourceOid] | None:
    """How to read CPU and memory use on ``platform`` devices (a netmiko ``device_type``).

    Returns :class:`~ward_snmp.resource_types.CpuOids` and
    :class:`~ward_snmp.resource_types.MemoryOids` values, or ``None`` when this plugin does not
    know the platform. Every plugin is asked; the answers are tried in pluggy's call order (plugins
    registered later, and ``tryfirst`` ones, first; the SNMP plugin's HOST-RESOURCES-MIB fallback
    is ``trylast``), and for each resource the first one the device answers wins.

    Failure: raising or returning something else fails the ``snmp.resources`` result of every
    device of that platform in the batch, naming the plugin; other platforms are unaffected.
    """

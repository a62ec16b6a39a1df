"""Who declares resource OIDs: the SNMP plugin's tables, and any plugin implementing its hook.

:class:`ResourceRegistry` is a pluggy manager of the ``ward_snmp`` project
(:mod:`ward_snmp.hookspecs`). It starts with the built-in tables (:mod:`ward_snmp.resource_tables`);
:meth:`ResourceRegistry.load_entry_points` then adds every module of ward's ``ward.plugins``
entry points (blocked ones excepted) that implements ``ward_snmp_resource_oids``.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable

from pluggy import PluginManager, PluginValidationError

from ward_core.errors import PluginError
from ward_snmp import PLUGIN, hookspecs, resource_tables
from ward_snmp.resource_types import CpuOids, MemoryOids, ResourceOid

ENTRY_POINT_GROUP = "ward.plugins"
BUILTIN = f"{PLUGIN}.builtin"
GENERIC = f"{PLUGIN}.generic"

log = logging.getLogger("ward.snmp")


class ResourceRegistry:
    """The ``ward_snmp_resource_oids`` implementations, asked per platform."""

    def __init__(self) -> None:
        self._pm = PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self.register(resource_tables.GenericResources(), name=GENERIC)
        self.register(resource_tables, name=BUILTIN)

    def register(self, plugin: object, *, name: str) -> None:
        """Add ``plugin``'s implementations; PluginError naming it when they do not match the spec."""
        try:
            self._pm.register(plugin, name=name)
        except (PluginValidationError, ValueError) as exc:
            raise PluginError(str(exc).splitlines()[0], plugin=name) from exc
        try:
            self._pm.check_pending()
        except PluginValidationError as exc:
            self._pm.unregister(plugin)
            raise PluginError(f"implements a ward_snmp hook that does not exist: {exc}", plugin=name) from exc

    def load_entry_points(self, blocked: Iterable[str] = ()) -> tuple[str, ...]:
        """Register the ``ward.plugins`` modules that implement a ward_snmp hook; their names.

        Modules are imported as ward imports them (usually already); one that fails to import is
        ward's business at start-up, so it is logged and skipped here.
        """
        skip = {*blocked, PLUGIN}
        added = []
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in skip or self._pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                log.warning("snmp: skipping plugin %r for resource OIDs: cannot import it: %s", ep.name, exc)
                continue
            if _implements(plugin):
                self.register(plugin, name=ep.name)
                added.append(ep.name)
        return tuple(added)

    def for_platform(self, platform: str) -> tuple[ResourceOid, ...]:
        """Every declaration for ``platform``, in call order.

        Raises PluginError naming the plugin that raised or returned something else than a list
        of CpuOids/MemoryOids.
        """
        found: list[ResourceOid] = []
        for impl in self._pm.hook.ward_snmp_resource_oids.get_hookimpls()[::-1]:
            try:
                returned = impl.function(platform=platform)
            except Exception as exc:
                raise PluginError(
                    f"ward_snmp_resource_oids({platform!r}) raised {type(exc).__name__}: {exc}",
                    plugin=impl.plugin_name,
                ) from exc
            if returned is None:
                continue
            if not isinstance(returned, list | tuple) or not all(
                isinstance(item, CpuOids | MemoryOids) for item in returned
            ):
                raise PluginError(
                    f"ward_snmp_resource_oids({platform!r}) must return a list of CpuOids/MemoryOids, "
                    f"got {returned!r:.200}",
                    plugin=impl.plugin_name,
                )
            found.extend(returned)
        return tuple(found)


def _implements(plugin: object) -> bool:
    """True when ``plugin`` has a function marked with ward_snmp's ``hookimpl``."""
    marker = f"{hookspecs.PROJECT}_impl"
    return any(
        hasattr(getattr(plugin, name, None), marker) for name in dir(plugin) if name.startswith("ward_snmp_")
    )

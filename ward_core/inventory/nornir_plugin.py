"""Ward's inventory served to Nornir, so that any Nornir task runs against it.

::

    nr = InitNornir(inventory={"plugin": "WardInventory", "options": {"database_url": url}})
    nr.filter(F(groups__contains="west-branch-routers"))
    nr.filter(F(site="branch-001"))          # or F(groups__contains="site:branch-001")

Each device becomes a Host: ``hostname`` its management address, ``port``, ``platform`` the netmiko
``device_type``, ``username``/``password`` resolved from its credential reference when the
inventory loads (an enable ``secret`` goes to ``connection_options["netmiko"].extras``), and
``data`` with ``role``, ``site``, ``region``, ``tags``, ``vars`` and ``snmp`` (settings and the
credential *name*; no secret). Groups: every static and dynamic ward group, plus ``site:<name>``
and ``region:<name>``.

The plugin registers itself as ``WardInventory`` with Nornir's ``InventoryPluginRegister`` on
import and through the ``nornir.plugins.inventory`` entry point.
"""

from __future__ import annotations

from typing import Any

from nornir.core.inventory import (
    ConnectionOptions,
    Defaults,
    Group,
    Groups,
    Host,
    Hosts,
    Inventory,
    ParentGroups,
)
from nornir.core.plugins.inventory import InventoryPluginRegister

from ward_core.config import Settings, load_settings
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import CredentialError
from ward_core.inventory.credentials import Credential, CredentialResolver
from ward_core.inventory.membership import groups_by_device
from ward_core.inventory.queries import load_devices, load_groups
from ward_core.inventory.types import DeviceRecord, GroupRecord

PLUGIN_NAME = "WardInventory"


class WardInventory:
    """Nornir 3 inventory plugin reading ward's database.

    ``database_url`` defaults to the settings' one; ``settings`` (default: read from the
    environment) also gives the secrets file. With ``require_credentials=False`` a device whose
    credential cannot be resolved still loads, without username/password, and the reason is in
    ``host.data["credential_error"]``; by default it fails the load with a CredentialError.
    """

    def __init__(
        self,
        database_url: str | None = None,
        settings: Settings | None = None,
        require_credentials: bool = True,
    ) -> None:
        self._settings = settings
        self._database_url = database_url
        self._require_credentials = require_credentials

    def _read(self, settings: Settings) -> tuple[list[DeviceRecord], list[GroupRecord]]:
        engine = get_engine(self._database_url or settings.database_url)
        try:
            require_current_schema(engine)
            with session_scope(engine) as session:
                return load_devices(session), load_groups(session)
        finally:
            engine.dispose()

    def _credential(
        self, device: DeviceRecord, resolver: CredentialResolver
    ) -> tuple[Credential | None, str | None]:
        if device.credentials is None:
            return None, None
        try:
            return resolver.resolve(device.credentials, device=device.name, require=("username",)), None
        except CredentialError as exc:
            if self._require_credentials:
                raise
            return None, str(exc)

    def load(self) -> Inventory:
        """Build the Nornir inventory from the database (one read, then credentials)."""
        settings = self._settings or load_settings()
        devices, groups = self._read(settings)
        resolver = CredentialResolver.from_settings(settings)
        nornir_groups = Groups()
        for group in groups:
            nornir_groups[group.name] = Group(
                name=group.name,
                data={"kind": group.kind, "filter": group.filter, "description": group.description},
            )
        for device in devices:
            if device.site is not None and f"site:{device.site}" not in nornir_groups:
                nornir_groups[f"site:{device.site}"] = Group(
                    name=f"site:{device.site}", data={"site": device.site, "region": device.region}
                )
            if device.region is not None and f"region:{device.region}" not in nornir_groups:
                nornir_groups[f"region:{device.region}"] = Group(
                    name=f"region:{device.region}", data={"region": device.region}
                )
        memberships = groups_by_device(devices, groups)
        hosts = Hosts()
        for device in devices:
            names = list(memberships[device.name])
            if device.site is not None:
                names.append(f"site:{device.site}")
            if device.region is not None:
                names.append(f"region:{device.region}")
            hosts[device.name] = self._host(device, resolver, ParentGroups(nornir_groups[n] for n in names))
        return Inventory(hosts=hosts, groups=nornir_groups, defaults=Defaults())

    def _host(self, device: DeviceRecord, resolver: CredentialResolver, groups: ParentGroups) -> Host:
        credential, problem = self._credential(device, resolver)
        data: dict[str, Any] = {
            "role": device.role,
            "site": device.site,
            "region": device.region,
            "tags": list(device.tags),
            "vars": dict(device.vars),
            "snmp": device.snmp.model_dump() if device.snmp else None,
            "credentials": device.credentials,
        }
        if problem is not None:
            data["credential_error"] = problem
        options: dict[str, ConnectionOptions] = {}
        if credential is not None and credential.secret is not None:
            options["netmiko"] = ConnectionOptions(extras={"secret": credential.secret.reveal()})
        return Host(
            name=device.name,
            hostname=device.host,
            port=device.port,
            platform=device.platform,
            username=credential.username if credential else None,
            password=credential.password.reveal() if credential and credential.password else None,
            groups=groups,
            data=data,
            connection_options=options,
        )


InventoryPluginRegister.register(PLUGIN_NAME, WardInventory)

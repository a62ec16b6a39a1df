"""The CPU and memory OIDs the SNMP plugin itself knows: Cisco IOS/IOS-XE, and a generic fallback.

=============== ============================================================================
platforms       OIDs
=============== ============================================================================
cisco_ios,      CISCO-PROCESS-MIB cpmCPUTotal5minRev (per CPU, averaged);
cisco_xe        CISCO-MEMORY-POOL-MIB ciscoMemoryPoolUsed/Free of pool 1, the processor pool
any (trylast)   HOST-RESOURCES-MIB hrProcessorLoad (per processor, averaged), then UCD-SNMP-MIB
                ssCpuIdle; hrStorageUsed/Size x hrStorageAllocationUnits of hrStorageRam rows
=============== ============================================================================
"""

from __future__ import annotations

from ward_snmp.hookspecs import hookimpl
from ward_snmp.resource_types import CpuOids, MemoryOids, ResourceOid

CISCO_PLATFORMS = frozenset({"cisco_ios", "cisco_xe"})

CISCO_CPU = CpuOids(
    source="CISCO-PROCESS-MIB cpmCPUTotal5minRev", load_column="1.3.6.1.4.1.9.9.109.1.1.1.1.8"
)
CISCO_MEMORY = MemoryOids(
    source="CISCO-MEMORY-POOL-MIB ciscoMemoryPoolUsed/Free (processor pool)",
    used_column="1.3.6.1.4.1.9.9.48.1.1.1.5",
    free_column="1.3.6.1.4.1.9.9.48.1.1.1.6",
    rows=("1",),
)

HR_STORAGE_ENTRY = "1.3.6.1.2.1.25.2.3.1"
HR_STORAGE_RAM = "1.3.6.1.2.1.25.2.1.2"
HOST_CPU = CpuOids(source="HOST-RESOURCES-MIB hrProcessorLoad", load_column="1.3.6.1.2.1.25.3.3.1.2")
UCD_CPU = CpuOids(source="UCD-SNMP-MIB ssCpuIdle", load_column="1.3.6.1.4.1.2021.11.11", idle=True)
HOST_MEMORY = MemoryOids(
    source="HOST-RESOURCES-MIB hrStorage (hrStorageRam)",
    used_column=f"{HR_STORAGE_ENTRY}.6",
    size_column=f"{HR_STORAGE_ENTRY}.5",
    units_column=f"{HR_STORAGE_ENTRY}.4",
    type_column=f"{HR_STORAGE_ENTRY}.2",
    type_value=HR_STORAGE_RAM,
)


@hookimpl
def ward_snmp_resource_oids(platform: str) -> list[ResourceOid] | None:
    """Cisco's process and memory-pool MIBs for IOS and IOS-XE."""
    if platform in CISCO_PLATFORMS:
        return [CISCO_CPU, CISCO_MEMORY]
    return None


class GenericResources:
    """The fallback every platform gets, asked last: HOST-RESOURCES-MIB, then UCD-SNMP-MIB for CPU.

    A class of its own so that it registers as a second plugin, ``trylast``, beside the Cisco table.
    """

    @hookimpl(trylast=True)
    def ward_snmp_resource_oids(self, platform: str) -> list[ResourceOid]:
        """The same OIDs whatever the platform."""
        return [HOST_CPU, UCD_CPU, HOST_MEMORY]

"""The OIDs the collector reads: LLDP-MIB (1.0.8802.1.1.2), CISCO-CDP-MIB (1.3.6.1.4.1.9.9.23) and
IF-MIB's ifName and ifDescr."""

from __future__ import annotations

LLDP_MIB = "1.0.8802.1.1.2.1"

LOC_CHASSIS_ID_SUBTYPE = f"{LLDP_MIB}.3.1.0"
LOC_CHASSIS_ID = f"{LLDP_MIB}.3.2.0"
LOC_SYS_NAME = f"{LLDP_MIB}.3.3.0"
LOC_SCALARS = (LOC_CHASSIS_ID_SUBTYPE, LOC_CHASSIS_ID, LOC_SYS_NAME)

LOC_PORT_ENTRY = f"{LLDP_MIB}.3.7.1"
"""lldpLocPortTable, indexed by lldpLocPortNum: 2 IdSubtype, 3 Id, 4 Desc."""

REM_ENTRY = f"{LLDP_MIB}.4.1.1"
"""lldpRemTable, indexed by timeMark.localPortNum.remIndex: 4 ChassisIdSubtype, 5 ChassisId,
6 PortIdSubtype, 7 PortId, 8 PortDesc, 9 SysName, 10 SysDesc, 11 SysCapSupported, 12 SysCapEnabled."""

REM_MAN_ADDR_ENTRY = f"{LLDP_MIB}.4.2.1"
"""lldpRemManAddrTable, indexed by timeMark.localPortNum.remIndex.addrSubtype.addrLen.addr..."""

IF_NAME = "1.3.6.1.2.1.31.1.1.1.1"
"""IF-MIB ifName, indexed by ifIndex."""

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
"""IF-MIB ifDescr, indexed by ifIndex (read only when ifName lacks an interface CDP names)."""

CISCO_CDP_MIB = "1.3.6.1.4.1.9.9.23.1"

CDP_GLOBAL_RUN = f"{CISCO_CDP_MIB}.3.1.0"
"""cdpGlobalRun: true(1) when CDP runs, false(2) when it is disabled."""

CDP_CACHE_ENTRY = f"{CISCO_CDP_MIB}.2.1.1"
"""cdpCacheTable, indexed by cdpCacheIfIndex.cdpCacheDeviceIndex."""

CDP_ADDRESS_TYPE, CDP_ADDRESS = 3, 4
CDP_DEVICE_ID, CDP_DEVICE_PORT, CDP_PLATFORM, CDP_CAPABILITIES = 6, 7, 8, 9
CDP_COLUMNS = (CDP_DEVICE_ID, CDP_ADDRESS_TYPE, CDP_ADDRESS, CDP_DEVICE_PORT, CDP_PLATFORM, CDP_CAPABILITIES)
"""The cdpCacheTable columns the collector walks, cdpCacheDeviceId first."""

CDP_TRUE, CDP_FALSE = 1, 2


def cdp_column(number: int) -> str:
    """The OID of cdpCacheTable column ``number``.

    >>> cdp_column(CDP_DEVICE_ID)
    '1.3.6.1.4.1.9.9.23.1.2.1.1.6'
    """
    return f"{CDP_CACHE_ENTRY}.{number}"


LOC_PORT_ID_SUBTYPE, LOC_PORT_ID, LOC_PORT_DESC = 2, 3, 4
REM_CHASSIS_SUBTYPE, REM_CHASSIS_ID, REM_PORT_SUBTYPE, REM_PORT_ID = 4, 5, 6, 7
REM_PORT_DESC, REM_SYS_NAME, REM_SYS_DESC, REM_CAP_SUPPORTED, REM_CAP_ENABLED = 8, 9, 10, 11, 12

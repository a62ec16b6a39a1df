"""The numeric OIDs ward reads, with their MIB names (no MIB files needed).

OIDs are written without a leading dot, as gufo-snmp takes and returns them.
"""

from __future__ import annotations

from dataclasses import dataclass

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
"""SNMPv2-MIB sysUpTime.0: hundredths of a second since the agent (re)started."""
IF_NUMBER = "1.3.6.1.2.1.2.1.0"
"""IF-MIB ifNumber.0: how many rows ifTable has (sizes GETBULK repetitions)."""

IF_ENTRY = "1.3.6.1.2.1.2.2.1"
IF_X_ENTRY = "1.3.6.1.2.1.31.1.1.1"

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
"""SNMPv2-MIB snmpTrapOID.0: the varbind naming a notification."""
SNMP_TRAP_ENTERPRISE = "1.3.6.1.6.3.1.1.4.3.0"
"""SNMPv2-MIB snmpTrapEnterprise.0 (set on traps converted from SNMPv1)."""
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
"""SNMP-COMMUNITY-MIB snmpTrapAddress.0: the agent address of an SNMPv1 trap."""


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its MIB name and OID; rows are ``<oid>.<index>``.

    >>> IF_OPER_STATUS.instance(3)
    '1.3.6.1.2.1.2.2.1.8.3'
    """

    name: str
    oid: str

    def instance(self, index: int | str) -> str:
        """The OID of this column's cell in row ``index``."""
        return f"{self.oid}.{index}"


# ifTable (IF-MIB): 32-bit counters, status, ifDescr/ifSpeed fallbacks
IF_DESCR = Column("ifDescr", f"{IF_ENTRY}.2")
IF_SPEED = Column("ifSpeed", f"{IF_ENTRY}.5")
IF_ADMIN_STATUS = Column("ifAdminStatus", f"{IF_ENTRY}.7")
IF_OPER_STATUS = Column("ifOperStatus", f"{IF_ENTRY}.8")
IF_IN_OCTETS = Column("ifInOctets", f"{IF_ENTRY}.10")
IF_IN_DISCARDS = Column("ifInDiscards", f"{IF_ENTRY}.13")
IF_IN_ERRORS = Column("ifInErrors", f"{IF_ENTRY}.14")
IF_OUT_OCTETS = Column("ifOutOctets", f"{IF_ENTRY}.16")
IF_OUT_DISCARDS = Column("ifOutDiscards", f"{IF_ENTRY}.19")
IF_OUT_ERRORS = Column("ifOutErrors", f"{IF_ENTRY}.20")

# ifXTable (IF-MIB): names, 64-bit octet counters, speed in Mb/s
IF_NAME = Column("ifName", f"{IF_X_ENTRY}.1")
IF_HC_IN_OCTETS = Column("ifHCInOctets", f"{IF_X_ENTRY}.6")
IF_HC_OUT_OCTETS = Column("ifHCOutOctets", f"{IF_X_ENTRY}.10")
IF_HIGH_SPEED = Column("ifHighSpeed", f"{IF_X_ENTRY}.15")

# Notifications (SNMPv2-MIB and IF-MIB)
COLD_START = "1.3.6.1.6.3.1.1.5.1"
WARM_START = "1.3.6.1.6.3.1.1.5.2"
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"

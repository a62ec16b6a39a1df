"""LLDP-MIB neighbour discovery over SNMP, for any platform whose agent serves IEEE 802.1AB's MIB.

Loaded through the ``lldp`` entry point; implements ``ward_topology_neighbours`` for transport
``snmp``. See :mod:`ward_lldp.plugin`.
"""

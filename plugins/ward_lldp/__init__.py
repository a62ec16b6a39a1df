"""LLDP and CDP neighbour discovery over SNMP: IEEE 802.1AB's LLDP-MIB and CISCO-CDP-MIB.

Loaded through the ``lldp`` entry point; implements ``ward_topology_neighbours`` for transport
``snmp``. See :mod:`ward_lldp.plugin`.

Both MIBs are read by this one plugin, in one session per device, rather than CDP by a sibling
plugin: ``ward_topology_neighbours`` is a firstresult hook, so a second SNMP neighbour plugin
would never be asked once this one answered, and the SSH side reads LLDP and CDP in one plugin too.
Discovery then merges the LLDP and CDP records of one cable into one link.
"""

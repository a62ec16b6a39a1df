"""LLDP and CDP neighbours of Cisco IOS devices over SSH, parsed with ntc-templates.

Loaded through the ``ios-neighbours`` entry point; implements ``ward_topology_neighbours`` for
transport ``ssh`` on platforms ``cisco_ios`` and ``cisco_xe``. See :mod:`ward_ios_neighbours.plugin`.
"""

"""The simulated lab: branch networks on loopback that speak real SSH and SNMP."""

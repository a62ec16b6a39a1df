"""Ward's ICMP probe plugin: the ``icmp`` probe kind (loss, RTT min/avg/max, jitter per device).

A batch is pinged in one sweep through one socket per address family (icmplib's sockets; raw
when allowed, else a datagram "ping" socket), every host in flight at once, replies matched on
address, identifier and sequence number; a dead host costs one timeout window, not count times the
timeout. See :mod:`ward_icmp.sweep` for how, :mod:`ward_icmp.probe` for what a result says and
:mod:`ward_icmp.settings` for the options.

Measured on the development machine (Debian 12, 2 shared cores, load about 1.3, root: raw
socket) with ``.venv/bin/python bench/icmp_sweep.py --repeat 5``:

- 10,000 loopback addresses x 3 echoes (interval 0.02 s, timeout 0.5 s), the plugin's
  ``ward_probe_run``: median 0.66 s wall, 0.63 s CPU, 0% loss; ``fping -q -C 3 -i 0 -p 20 -t 500``
  on the same addresses in the same run: 0.59 s wall, 0.53 s CPU, 0% loss. Ward / fping: 1.12x
  wall, 1.19x CPU (goal: within 2x). About 0.3 s of ward's CPU is system time (sending, receiving,
  the kernel answering on loopback); the rest is Python: the sweep's loops, then metrics and results.
- 100 silent hosts (routed into a namespace that drops them) x 3 echoes, timeout 1 s: 1.05 s,
  1.05x the timeout (fping: 1.04 s), where waiting for each echo in turn would take 3 s.
"""

PLUGIN = "icmp"
"""The plugin's name: its entry-point name, used in errors and to block it."""

"""The module ward loads for the ``icmp`` entry point: the probe hooks."""

from __future__ import annotations

from ward_icmp.probe import ward_probe_kinds, ward_probe_run

__all__ = ["ward_probe_kinds", "ward_probe_run"]

"""Events as samples, so that rules can alert on them like on any measurement.

No probe measures "the configuration changed" or "an LLDP neighbour went away": ward learns them
from events. The alerts plugin writes them into the sample store as markers (value 1 at the
event's time), and rules count them over a window:

- :data:`CONFIG_CHANGED` for the device of each ``ward_config_changed`` event, labelled
  ``by`` (who the device says made it, ``unknown`` otherwise) and ``announced`` (``yes`` when a
  ward remediation announced it);
- :data:`LINK_LOST` for both ends of each link ``ward_topology_changed`` reports removed, labelled
  ``ifname`` (the local interface) and ``neighbour``.

>>> for row in link_rows([Link.between("sw1", "Gi0/1", "rtr1", "Gi0/2")]):
...     print(row)
('rtr1', 'lldp.link_lost', {'ifname': 'Gi0/2', 'neighbour': 'sw1'})
('sw1', 'lldp.link_lost', {'ifname': 'Gi0/1', 'neighbour': 'rtr1'})
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine

from ward_core.db.session import session_scope
from ward_core.probes.labels import labels_key
from ward_core.probes.store import LatestRow, SampleRow, device_ids, upsert_latest, write_samples
from ward_core.types import ConfigChange, Link

CONFIG_CHANGED = "config.changed"
LINK_LOST = "lldp.link_lost"
EVENT_METRICS = frozenset({CONFIG_CHANGED, LINK_LOST})
"""Metrics written from events, known to the rule compiler besides the probe kinds' metrics."""

EventRow = tuple[str, str, dict[str, str]]
"""(device name, metric, labels)."""


def config_rows(change: ConfigChange) -> list[EventRow]:
    """The marker a configuration change writes."""
    labels = {"by": change.changed_by or "unknown", "announced": "yes" if change.remediation else "no"}
    return [(change.device, CONFIG_CHANGED, labels)]


def link_rows(removed: Sequence[Link]) -> list[EventRow]:
    """The markers removed links write: one per end."""
    rows: list[EventRow] = []
    for link in removed:
        rows.append((link.a_device, LINK_LOST, {"ifname": link.a_interface, "neighbour": link.b_device}))
        rows.append((link.b_device, LINK_LOST, {"ifname": link.b_interface, "neighbour": link.a_device}))
    return rows


def write_markers(engine: Engine, rows: Sequence[EventRow], time: datetime) -> int:
    """Store value-1 markers at ``time`` for the devices of ``rows`` that are in the inventory."""
    if not rows:
        return 0
    with session_scope(engine) as session:
        ids = device_ids(session, sorted({device for device, _, _ in rows}))
        samples = [
            SampleRow(ids[device], metric, labels_key(labels), labels, time, 1.0)
            for device, metric, labels in rows
            if device in ids
        ]
        write_samples(session, samples)
        upsert_latest(
            session,
            [LatestRow(s.device_id, s.metric, s.labels_key, s.labels, s.time, s.value) for s in samples],
        )
        return len(samples)

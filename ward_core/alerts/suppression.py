"""Topology-aware suppression: when a site's uplink device is down, the other devices of that site
that are down are symptoms of it, folded under its alert instead of paging on their own.

Which device is a site's uplink comes from an :data:`UplinkProvider` (site → device name). Ward's
topology module computes it from discovered links (``site_uplinks(graph)``);
:func:`topology_uplinks` reads it from the newest topology snapshot, and tests or other deployments
can give their own provider (a static mapping, a CMDB). Only alerts of rules marked ``device_down``
take part: an outage is what makes downstream devices unreachable.

>>> fold({"r1": "s1", "r2": "s1", "r3": "s2"}, down={"r1", "r2", "r3"}, uplinks={"s1": "r1", "s2": "r9"})
{'r2': 'r1'}
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Mapping

from sqlalchemy import Engine

log = logging.getLogger(__name__)

UplinkProvider = Callable[[], Mapping[str, str]]
"""Returns the uplink device of each site that has one, by site name."""


def fold(
    sites: Mapping[str, str | None], *, down: Collection[str], uplinks: Mapping[str, str]
) -> dict[str, str]:
    """The devices to fold, each mapped to the uplink it is a symptom of.

    ``sites`` maps each down device to its site; a device is folded when its site's uplink is
    another device that is down too.
    """
    folded: dict[str, str] = {}
    for device in down:
        site = sites.get(device)
        uplink = uplinks.get(site) if site is not None else None
        if uplink is not None and uplink != device and uplink in down:
            folded[device] = uplink
    return folded


def static_uplinks(mapping: Mapping[str, str]) -> UplinkProvider:
    """A provider returning a fixed site → uplink mapping."""
    frozen = dict(mapping)
    return lambda: frozen


def topology_uplinks(engine: Engine, max_age_s: float = 60.0) -> UplinkProvider:
    """A provider over ward's newest topology snapshot (``site_uplinks`` of its graph), read again
    at most every ``max_age_s``; no snapshot, or a failure to read it, means no uplinks."""
    cached: dict[str, Mapping[str, str]] = {}
    read_at = [-math.inf]

    def provide() -> Mapping[str, str]:
        if time.monotonic() - read_at[0] < max_age_s and "uplinks" in cached:
            return cached["uplinks"]
        from ward_core.db.session import session_scope
        from ward_core.topology.graph import build_graph, site_uplinks
        from ward_core.topology.store import load_snapshot

        try:
            with session_scope(engine) as session:
                snapshot = load_snapshot(session)
            uplinks = site_uplinks(build_graph(snapshot)) if snapshot is not None else {}
        except Exception:
            log.exception("reading site uplinks from the topology failed; no suppression this time")
            uplinks = {}
        cached["uplinks"] = uplinks
        read_at[0] = time.monotonic()
        return uplinks

    return provide

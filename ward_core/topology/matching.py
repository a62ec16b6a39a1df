"""From neighbour records to links: identify each neighbour, find its port, pair the two ends.

1. Every record's neighbour is identified as an inventory device (:mod:`.identities`) and its far
   interface found (:mod:`.ports`). Records of one interface about one device (LLDP and CDP of
   the same cable) merge into one *half-link*.
2. A half-link whose far port could not be found borrows it from the far end, when the far end
   reports this device back on exactly one of its interfaces.
3. Half-links meet on the same :class:`~ward_core.types.Link`: reported from both ends it is
   ``two_sided``; from one end it is ``one_sided``, and the reason says whether the far end was
   not collected, is silent about it, or reports something else.
4. Overrides add declared links and remove ignored ones.

Every record gets an :class:`~ward_core.topology.model.Explanation`, and nothing a record says can
add a node or a self-loop: links only ever join two different inventory devices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ward_core.topology.identities import Identified, Identities
from ward_core.topology.model import DeviceInfo, Explanation, LinkInfo, LinkKind, Reason, Verdict
from ward_core.topology.names import interface_name
from ward_core.topology.overrides import Override
from ward_core.topology.ports import PORT_WAYS, AdvertisedPorts, far_port
from ward_core.topology.records import Observation
from ward_core.types import Link, NeighbourRecord


@dataclass
class _Half:
    """One end's claim: its interface leads to ``far_device`` (on ``far_interface`` when known)."""

    device: str
    interface: str
    far_device: str
    far_interface: str | None = None
    port_way: str | None = None
    records: list[int] = field(default_factory=list)
    protocols: set[str] = field(default_factory=set)
    identified_by: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def offer(self, port: str | None, way: str | None) -> None:
        """Take a far port one of the records gives, keeping the best-founded one on conflict."""
        if port is None or way is None:
            return
        if self.far_interface is None or self.port_way is None:
            self.far_interface, self.port_way = port, way
        elif port == self.far_interface:
            if PORT_WAYS.index(way) < PORT_WAYS.index(self.port_way):
                self.port_way = way
        elif port != self.far_interface:
            kept = port if PORT_WAYS.index(way) < PORT_WAYS.index(self.port_way) else self.far_interface
            self.notes.append(
                f"records disagree on the far port ({self.far_interface} or {port}): kept {kept}"
            )
            if kept == port:
                self.far_interface, self.port_way = port, way


@dataclass(frozen=True, slots=True)
class Matching:
    """The links found and one explanation per record, in record order."""

    links: tuple[LinkInfo, ...]
    explanations: tuple[Explanation, ...]


def _explain(
    record: NeighbourRecord,
    verdict: Verdict,
    reason: Reason,
    detail: str,
    *,
    far_device: str | None = None,
    far_interface: str | None = None,
    identified: Identified | None = None,
) -> Explanation:
    return Explanation(
        device=record.device,
        local_interface=interface_name(record.local_interface) or record.local_interface,
        neighbour=record.neighbour,
        protocol=record.protocol,
        verdict=verdict,
        reason=reason,
        detail=detail,
        far_device=far_device,
        far_interface=far_interface,
        identified_by=identified.via if identified else (),
    )


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def usable_records(
    observations: Mapping[str, Observation], inventory: Mapping[str, DeviceInfo]
) -> tuple[list[NeighbourRecord], list[Explanation]]:
    """The records of successful observations of inventory devices, and verdicts on the misfiled ones."""
    records: list[NeighbourRecord] = []
    misfiled: list[Explanation] = []
    for name, observation in sorted(observations.items()):
        if name not in inventory or not observation.ok:
            continue
        for record in observation.records:
            if record.device != name:
                misfiled.append(
                    _explain(
                        record,
                        "unmatched",
                        Reason.UNUSABLE_RECORD,
                        f"the record was filed for device {record.device!r} while ward collected {name!r}",
                    )
                )
                continue
            records.append(record)
    return records, misfiled


def match(
    devices: Iterable[DeviceInfo],
    observations: Mapping[str, Observation],
    overrides: Sequence[Override] = (),
) -> Matching:
    """Links and explanations from the latest observation of each device."""
    inventory = {d.name: d for d in devices}
    records, misfiled = usable_records(observations, inventory)
    identities = Identities(inventory.values(), records, overrides)
    ports = AdvertisedPorts(records)
    verdicts: dict[int, Explanation] = {}
    identified: dict[int, Identified] = {}
    halves: dict[tuple[str, str, str], _Half] = {}

    for index, record in enumerate(records):
        local = interface_name(record.local_interface)
        if not local:
            verdicts[index] = _explain(
                record, "unmatched", Reason.UNUSABLE_RECORD, "the record names no local interface"
            )
            continue
        found = identities.identify(record)
        identified[index] = found
        if found.reason is not None or found.device is None:
            verdicts[index] = _explain(
                record,
                "unmatched",
                found.reason or Reason.UNKNOWN_DEVICE,
                found.detail,
                far_device=found.device,
                identified=found,
            )
            continue
        half = halves.setdefault(
            (record.device, local, found.device), _Half(record.device, local, found.device)
        )
        half.offer(*far_port(record, found.device, ports))
        half.records.append(index)
        half.protocols.add(record.protocol)
        half.identified_by.update(found.via)
        half.notes.extend(n for n in found.notes if n not in half.notes)

    by_pair: dict[tuple[str, str], list[_Half]] = defaultdict(list)
    for half in halves.values():
        by_pair[(half.device, half.far_device)].append(half)
    for half in halves.values():
        if half.far_interface is not None:
            continue
        back = by_pair.get((half.far_device, half.device), [])
        exact = [g for g in back if g.far_interface == half.interface]
        pick = exact or [g for g in back if g.far_interface is None]
        if len(pick) == 1:
            half.far_interface, half.port_way = pick[0].interface, "far_end"

    ends: dict[Link, dict[str, _Half]] = defaultdict(dict)
    for half in halves.values():
        if half.far_interface is None:
            for index in half.records:
                record = records[index]
                said = record.neighbour_port_id or record.neighbour_interface
                verdicts[index] = _explain(
                    record,
                    "unmatched",
                    Reason.PORT_NOT_FOUND,
                    _join(
                        f"{half.far_device} was recognised, but its port "
                        f"{said!r} is not an interface name and {half.far_device} advertises no such port ID"
                        if said
                        else f"{half.far_device} was recognised, but the record names no port",
                        *half.notes,
                    ),
                    far_device=half.far_device,
                    identified=identified.get(index),
                )
            continue
        link = Link.between(half.device, half.interface, half.far_device, half.far_interface)
        ends[link][half.device] = half

    unmatched_at: dict[tuple[str, str], list[Explanation]] = defaultdict(list)
    for explanation in verdicts.values():
        unmatched_at[(explanation.device, explanation.local_interface)].append(explanation)

    ignored = {o.link: o for o in overrides if o.kind == "ignore" and o.link is not None}
    links: list[LinkInfo] = []
    for link, sides in ends.items():
        kind, reason, detail = _classify(link, sides, observations, by_pair, unmatched_at)
        override = ignored.get(link)
        for half in sides.values():
            for index in half.records:
                if override is not None:
                    verdicts[index] = _explain(
                        records[index],
                        "ignored",
                        Reason.REMOVED_BY_OVERRIDE,
                        f"override {override.describe()}"
                        + (f" ({override.reason})" if override.reason else ""),
                        far_device=half.far_device,
                        far_interface=half.far_interface,
                        identified=identified.get(index),
                    )
                else:
                    verdicts[index] = _explain(
                        records[index],
                        "link" if kind == "two_sided" else "one_sided",
                        reason,
                        _join(detail, f"far port found by {half.port_way}", *half.notes),
                        far_device=half.far_device,
                        far_interface=half.far_interface,
                        identified=identified.get(index),
                    )
        if override is not None:
            continue
        links.append(
            LinkInfo(
                link=link,
                kind=kind,
                reported_by=tuple(sorted(sides)),
                protocols=tuple(sorted({p for h in sides.values() for p in h.protocols})),
                identified_by=tuple(sorted({w for h in sides.values() for w in h.identified_by})),
                note=detail if kind != "two_sided" else "",
            )
        )
    links.extend(_declared(overrides, {info.link for info in links}, inventory))
    links.sort(key=lambda info: (info.link.a_device, info.link.a_interface, info.link.b_device))
    explanations = [verdicts[i] for i in range(len(records)) if i in verdicts]
    return Matching(links=tuple(links), explanations=tuple(explanations + misfiled))


def _classify(
    link: Link,
    sides: Mapping[str, _Half],
    observations: Mapping[str, Observation],
    by_pair: Mapping[tuple[str, str], list[_Half]],
    unmatched_at: Mapping[tuple[str, str], list[Explanation]],
) -> tuple[LinkKind, Reason, str]:
    if len(sides) == 2:
        return "two_sided", Reason.TWO_SIDED, "both ends report each other on these interfaces"
    half = next(iter(sides.values()))
    far, far_if = half.far_device, half.far_interface or "?"
    seen = observations.get(far)
    if seen is None:
        return "one_sided", Reason.FAR_END_NOT_COLLECTED, f"{far} has never been collected"
    if not seen.ok:
        return (
            "one_sided",
            Reason.FAR_END_NOT_COLLECTED,
            f"{far} could not be collected at {seen.collected_at:%Y-%m-%d %H:%M:%S}: {seen.error}",
        )
    elsewhere = [
        g
        for g in by_pair.get((far, half.device), [])
        if (g.interface, g.far_interface) != (far_if, half.interface)
    ]
    if elsewhere:
        claims = ", ".join(f"on {g.interface} (to {g.far_interface or 'an unknown port'})" for g in elsewhere)
        return (
            "one_sided",
            Reason.ENDS_DISAGREE,
            f"{far} reports {half.device} {claims}, not on {far_if} to {half.interface}",
        )
    others = unmatched_at.get((far, far_if), [])
    if others:
        what = "; ".join(f"{e.neighbour!r} ({e.reason.value})" for e in others)
        return "one_sided", Reason.FAR_END_SILENT, f"{far}'s record on {far_if} names {what} instead"
    return (
        "one_sided",
        Reason.FAR_END_SILENT,
        f"{far} was collected at {seen.collected_at:%Y-%m-%d %H:%M:%S} "
        f"and reports no {half.device} on {far_if}",
    )


def _declared(
    overrides: Sequence[Override], found: set[Link], inventory: Mapping[str, DeviceInfo]
) -> list[LinkInfo]:
    """Links declared by ``link`` overrides that discovery did not find itself."""
    declared = []
    for override in overrides:
        link = override.link
        if override.kind != "link" or link is None or link in found:
            continue
        if link.a_device not in inventory or link.b_device not in inventory:
            continue
        found.add(link)
        declared.append(
            LinkInfo(
                link=link,
                kind="override",
                identified_by=("override",),
                note=f"override {override.describe()}" + (f" ({override.reason})" if override.reason else ""),
            )
        )
    return declared

"""Recognising a reported neighbour as an inventory device: by name, chassis ID or address.

Each way can fail on real networks: a hostname that differs from the inventory name, a chassis ID
two devices share (cloned virtual machines, a vendor bug), a management address behind NAT. So
every way is tried and their answers are compared: when they agree the neighbour is recognised
(and the record says by which), when they disagree the chassis ID wins over the name and the name
over the address, and when none answers the reason is kept (unknown device, a name close to an
inventory name, a shared chassis ID, a name two devices could have).

Chassis IDs come from each device's own claim (``local_chassis_id``) and from neighbours that
name a device unambiguously, so a device that announces a wrong hostname is still recognised by
its chassis ID once one neighbour has named it right.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ward_core.topology.model import DeviceInfo, Reason
from ward_core.topology.names import chassis_key, host_key, ip_address
from ward_core.topology.overrides import Override
from ward_core.types import NeighbourRecord

NAME_CLOSENESS = 0.8
"""How close (difflib ratio) an announced name must be to an inventory name to call it a mismatch."""


@dataclass(frozen=True, slots=True)
class Identified:
    """What :meth:`Identities.identify` concluded about one record's neighbour."""

    device: str | None
    via: tuple[str, ...] = ()
    reason: Reason | None = None
    detail: str = ""
    notes: tuple[str, ...] = ()


class Identities:
    """Indexes of the inventory (names, addresses) and of the chassis IDs seen for each device."""

    def __init__(
        self,
        devices: Iterable[DeviceInfo],
        records: Iterable[NeighbourRecord],
        overrides: Sequence[Override] = (),
    ) -> None:
        self.devices = {d.name: d for d in devices}
        self._full: dict[str, set[str]] = defaultdict(set)
        self._host: dict[str, set[str]] = defaultdict(set)
        self._address: dict[str, set[str]] = defaultdict(set)
        for device in self.devices.values():
            self._full[device.name.strip().lower()].add(device.name)
            self._host[host_key(device.name)].add(device.name)
            address = ip_address(device.host)
            if address is not None:
                self._address[address].add(device.name)
        self._aliases: dict[str, str] = {}
        for override in overrides:
            if override.kind == "alias" and override.alias and override.a_device in self.devices:
                self._aliases[override.alias.strip().lower()] = override.a_device
                key = chassis_key(override.alias)
                if key is not None:
                    self._aliases[key] = override.a_device
        self.chassis: dict[str, set[str]] = defaultdict(set)
        records = list(records)
        for record in records:
            key = chassis_key(record.local_chassis_id)
            if key is not None and record.device in self.devices:
                self.chassis[key].add(record.device)
        for record in records:
            key = chassis_key(record.chassis_id)
            if key is None or record.device not in self.devices:
                continue
            named = self._by_name(record.neighbour) or self._by_address(record.neighbour_address)
            if len(named) == 1 and named != {record.device}:
                self.chassis[key] |= named

    # ------------------------------------------------------------------ single lookups

    def _by_name(self, name: str) -> set[str]:
        text = name.strip()
        if not text:
            return set()
        exact = self._full.get(text.lower())
        if exact:
            return set(exact)
        found = set(self._host.get(host_key(text), ()))
        address = ip_address(text)
        if address is not None:
            found |= self._address.get(address, set())
        return found

    def _by_address(self, address: str | None) -> set[str]:
        key = ip_address(address)
        return set(self._address.get(key, ())) if key else set()

    def _alias(self, record: NeighbourRecord) -> str | None:
        for text in (record.neighbour, record.chassis_id):
            if text:
                found = self._aliases.get(text.strip().lower()) or self._aliases.get(chassis_key(text) or "")
                if found:
                    return found
        return None

    def duplicate_chassis(self) -> dict[str, tuple[str, ...]]:
        """Chassis IDs claimed by (or for) more than one device."""
        return {key: tuple(sorted(names)) for key, names in self.chassis.items() if len(names) > 1}

    def closest_name(self, name: str) -> str | None:
        """The inventory name closest to ``name`` when it is close enough to be a typo or a rename."""
        wanted = host_key(name)
        keys = list(self._host)
        close = difflib.get_close_matches(wanted, keys, n=1, cutoff=NAME_CLOSENESS)
        if not close:
            return None
        return sorted(self._host[close[0]])[0]

    # ------------------------------------------------------------------ the verdict

    def identify(self, record: NeighbourRecord) -> Identified:
        """The inventory device ``record``'s neighbour is, or why it cannot be told."""
        alias = self._alias(record)
        if alias is not None:
            return self._checked_self(record, Identified(alias, ("alias",)))
        name = record.neighbour.strip()
        chassis = chassis_key(record.chassis_id)
        address = ip_address(record.neighbour_address)
        if not name and chassis is None and address is None:
            return Identified(
                None,
                reason=Reason.UNUSABLE_RECORD,
                detail="the record names no neighbour: no system name, chassis ID or management address",
            )
        own = chassis_key(record.local_chassis_id)
        if chassis is not None and chassis == own:
            return Identified(
                record.device,
                ("chassis_id",),
                reason=Reason.SELF_NEIGHBOUR,
                detail=f"the neighbour has this device's own chassis ID {record.chassis_id}",
            )
        notes: list[str] = []
        by_name = self._by_name(name)
        by_chassis = set(self.chassis.get(chassis, ())) if chassis else set()
        by_address = self._by_address(address)
        answers: dict[str, str] = {}
        if len(by_name) == 1:
            answers["name"] = next(iter(by_name))
        elif len(by_name) > 1:
            notes.append(f"name {name!r} could be any of {', '.join(sorted(by_name))}")
        if len(by_chassis) == 1:
            answers["chassis_id"] = next(iter(by_chassis))
        elif len(by_chassis) > 1:
            notes.append(
                f"chassis ID {record.chassis_id} is shared by {', '.join(sorted(by_chassis))}, so it "
                "identifies nobody"
            )
        if len(by_address) == 1:
            answers["address"] = next(iter(by_address))
        elif len(by_address) > 1:
            notes.append(f"address {address} belongs to {', '.join(sorted(by_address))}")
        if not answers:
            return self._unidentified(record, name, by_name, by_chassis, notes)
        chosen = next(answers[way] for way in ("chassis_id", "name", "address") if way in answers)
        via = tuple(way for way in ("name", "chassis_id", "address") if answers.get(way) == chosen)
        others = {way: dev for way, dev in answers.items() if dev != chosen}
        for way, dev in sorted(others.items()):
            notes.append(f"its {way.replace('_', ' ')} points to {dev} instead; kept {chosen}")
        if name and "name" not in answers and not by_name:
            notes.append(f"it announces the name {name!r}, which is not in the inventory")
        return self._checked_self(record, Identified(chosen, via, notes=tuple(notes)))

    def _unidentified(
        self, record: NeighbourRecord, name: str, by_name: set[str], by_chassis: set[str], notes: list[str]
    ) -> Identified:
        if len(by_name) > 1:
            return Identified(None, reason=Reason.AMBIGUOUS_DEVICE, detail="; ".join(notes))
        if len(by_chassis) > 1:
            return Identified(None, reason=Reason.DUPLICATE_CHASSIS_ID, detail="; ".join(notes))
        said = ", ".join(
            part
            for part in (
                f"name {name!r}" if name else "",
                f"chassis ID {record.chassis_id}" if record.chassis_id else "",
                f"address {record.neighbour_address}" if record.neighbour_address else "",
            )
            if part
        )
        close = self.closest_name(name) if name else None
        if close is not None:
            return Identified(
                None,
                reason=Reason.NAME_MISMATCH,
                detail=f"the neighbour announces {said}; the closest inventory name is {close!r}, but "
                "neither its chassis ID nor its address confirms it (add an alias override if it is)",
            )
        return Identified(None, reason=Reason.UNKNOWN_DEVICE, detail=f"no inventory device matches {said}")

    @staticmethod
    def _checked_self(record: NeighbourRecord, found: Identified) -> Identified:
        if found.device != record.device:
            return found
        return Identified(
            found.device,
            found.via,
            reason=Reason.SELF_NEIGHBOUR,
            detail=f"the neighbour is this device itself (recognised by {', '.join(found.via)})",
        )

"""What changed between two discoveries: links added, links lost, links whose evidence changed.

The event alert rules receive (:class:`~ward_core.types.TopologyChange`) carries the added and
removed links; a link that only changed kind (two-sided to one-sided: one end stopped reporting
it) is not a change of the cabling and is shown by ``ward topology diff`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ward_core.topology.model import LinkInfo, Snapshot, link_to_dict
from ward_core.types import Link, TopologyChange


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotDiff:
    """Links of ``new`` not in ``old`` (added), of ``old`` not in ``new`` (removed), and links in
    both whose kind changed (``(old, new)`` pairs)."""

    old_id: int | None
    new_id: int | None
    added: tuple[Link, ...]
    removed: tuple[Link, ...]
    changed: tuple[tuple[LinkInfo, LinkInfo], ...]

    @property
    def empty(self) -> bool:
        """True when the cabling and the evidence are the same."""
        return not (self.added or self.removed or self.changed)

    def change(self, discovered_at: datetime) -> TopologyChange:
        """The event for this diff."""
        return TopologyChange(added=self.added, removed=self.removed, discovered_at=discovered_at)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "old": self.old_id,
            "new": self.new_id,
            "added": [link_to_dict(link) for link in self.added],
            "removed": [link_to_dict(link) for link in self.removed],
            "changed": [
                {**link_to_dict(old.link), "old_kind": old.kind, "new_kind": new.kind, "note": new.note}
                for old, new in self.changed
            ],
        }


def _order(links: set[Link]) -> tuple[Link, ...]:
    return tuple(sorted(links, key=lambda k: (k.a_device, k.a_interface, k.b_device, k.b_interface)))


def diff_snapshots(old: Snapshot | None, new: Snapshot) -> SnapshotDiff:
    """``new`` compared with ``old`` (None: everything in ``new`` is added)."""
    before = {info.link: info for info in old.links} if old else {}
    after = {info.link: info for info in new.links}
    changed = tuple(
        (before[link], after[link])
        for link in _order(set(before) & set(after))
        if before[link].kind != after[link].kind
    )
    return SnapshotDiff(
        old_id=old.id if old else None,
        new_id=new.id,
        added=_order(set(after) - set(before)),
        removed=_order(set(before) - set(after)),
        changed=changed,
    )

"""Raw neighbour records and what one collection of one device gave (an :class:`Observation`).

Records are kept as the plugin returned them, with when and over which transport they were
collected, so that a link ward did or did not draw can always be traced back to what the devices
said. Both convert to and from JSON for storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, cast

from ward_core.types import NeighbourRecord, Transport

_RECORD_FIELDS = tuple(f.name for f in fields(NeighbourRecord))


def record_to_dict(record: NeighbourRecord) -> dict[str, Any]:
    """A JSON-ready view of ``record`` (unset optional fields left out).

    >>> record_to_dict(NeighbourRecord(device="a", local_interface="Gi0/1", neighbour="b", protocol="cdp"))
    {'device': 'a', 'local_interface': 'Gi0/1', 'neighbour': 'b', 'protocol': 'cdp'}
    """
    data = asdict(record)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items() if v not in (None, ())}


def record_from_dict(data: Mapping[str, Any]) -> NeighbourRecord:
    """Read back :func:`record_to_dict`'s output (unknown keys, from a newer ward, are ignored)."""
    values = {k: v for k, v in data.items() if k in _RECORD_FIELDS}
    values["capabilities"] = tuple(values.get("capabilities") or ())
    return NeighbourRecord(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """One device's neighbours as one collection found them, or why the collection failed.

    ``ok`` false means ward could not ask the device (``error`` says why): its neighbours are then
    unknown, which is not the same as having none.
    """

    device: str
    transport: Transport
    collected_at: datetime
    ok: bool
    records: tuple[NeighbourRecord, ...] = ()
    error: str | None = None
    duration_s: float = 0.0

    def __post_init__(self) -> None:
        if not self.ok and not self.error:
            raise ValueError(f"device {self.device!r}: a failed observation needs its error text")

    def records_json(self) -> list[dict[str, Any]]:
        """The records as JSON-ready dicts."""
        return [record_to_dict(r) for r in self.records]

    @staticmethod
    def records_from_json(data: object) -> tuple[NeighbourRecord, ...]:
        """Records read back from :meth:`records_json` output."""
        if not isinstance(data, Sequence):
            return ()
        return tuple(
            record_from_dict(cast(Mapping[str, Any], item)) for item in data if isinstance(item, Mapping)
        )

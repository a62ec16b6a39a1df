"""What running one probe batch did, as plain data a queue can carry.

:class:`BatchOutcome` holds only strings, numbers, booleans and tuples of those; :meth:`to_dict`
gives JSON and :meth:`from_dict` reads it back, so a worker can return it as a message result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class KindOutcome:
    """One probe kind in a batch: devices measured and not, values written, time taken."""

    kind: str
    ok: int
    failed: int
    samples: int
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "kind": self.kind,
            "ok": self.ok,
            "failed": self.failed,
            "samples": self.samples,
            "duration_s": round(self.duration_s, 6),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceFailure:
    """A device a kind could not measure, and why."""

    device: str
    kind: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready view."""
        return {"device": self.device, "kind": self.kind, "reason": self.reason}


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchOutcome:
    """The result of :func:`~ward_core.probes.service.run_probe_batch`.

    ``duplicate`` is true when ``batch_id`` had already been committed: nothing was written (the
    other fields then describe this call only: no kinds, no samples). ``samples_written`` counts
    rows added to the time series; ``latest_written`` rows upserted in ``latest_samples`` (raw
    counters included). ``run_id`` is the ``runs`` row holding one result per device and kind.
    """

    batch_id: str
    duplicate: bool = False
    run_id: int | None = None
    devices: int = 0
    kinds: tuple[KindOutcome, ...] = ()
    failures: tuple[DeviceFailure, ...] = ()
    rebooted: tuple[str, ...] = ()
    samples_written: int = 0
    latest_written: int = 0
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every device of every kind was measured (or the batch was a duplicate)."""
        return not self.failures

    @property
    def failed_devices(self) -> tuple[str, ...]:
        """Names of the devices at least one kind could not measure, in order."""
        return tuple(dict.fromkeys(f.device for f in self.failures))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view; :meth:`from_dict` reads it back."""
        return {
            "batch_id": self.batch_id,
            "duplicate": self.duplicate,
            "run_id": self.run_id,
            "devices": self.devices,
            "kinds": [k.to_dict() for k in self.kinds],
            "failures": [f.to_dict() for f in self.failures],
            "rebooted": list(self.rebooted),
            "samples_written": self.samples_written,
            "latest_written": self.latest_written,
            "duration_s": round(self.duration_s, 6),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchOutcome:
        """The outcome :meth:`to_dict` described."""
        return cls(
            batch_id=str(data["batch_id"]),
            duplicate=bool(data["duplicate"]),
            run_id=None if data["run_id"] is None else int(data["run_id"]),
            devices=int(data["devices"]),
            kinds=tuple(KindOutcome(**k) for k in data["kinds"]),
            failures=tuple(DeviceFailure(**f) for f in data["failures"]),
            rebooted=tuple(data["rebooted"]),
            samples_written=int(data["samples_written"]),
            latest_written=int(data["latest_written"]),
            duration_s=float(data["duration_s"]),
        )

"""The audit log's hash chain, as pure functions over record fields.

A record is ``(seq, recorded_at, actor, kind, request_id, payload)`` plus ``prev_hash``, the hash
of record ``seq - 1`` (:data:`GENESIS` for the first). Its hash is the SHA-256 of the canonical
JSON array of those seven values, so changing any field of any record, removing a record or
inserting one changes a hash that a later record depends on. Timestamps enter as ISO 8601 UTC
text with microseconds, the payload as the exact canonical JSON text stored.

Truncating the tail leaves a valid shorter chain: compare the head (``seq`` and ``hash``) that
``ward audit verify`` prints with one kept elsewhere to detect that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
"""``prev_hash`` of the first record."""


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, UTF-8 kept as is.

    >>> canonical_json({"b": [1, 2], "a": "é"})
    '{"a":"é","b":[1,2]}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def timestamp_text(when: datetime) -> str:
    """``when`` in UTC as the chain hashes it.

    >>> timestamp_text(datetime(2026, 12, 1, 8, 30, tzinfo=UTC))
    '2026-12-01T08:30:00.000000+00:00'
    """
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when.isoformat()}: audit times are aware")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainedRecord:
    """The fields of one audit record that its hash covers, and the hashes."""

    seq: int
    recorded_at: datetime
    actor: str
    kind: str
    request_id: int | None
    payload: str
    prev_hash: str
    hash: str


def record_hash(
    *,
    seq: int,
    recorded_at: datetime,
    actor: str,
    kind: str,
    request_id: int | None,
    payload: str,
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of one record.

    >>> record_hash(seq=1, recorded_at=datetime(2026, 1, 1, tzinfo=UTC), actor="alice",
    ...             kind="request.proposed", request_id=1, payload="{}", prev_hash=GENESIS)[:16]
    '4e3e25f22eeb8dac'
    """
    body = canonical_json([seq, timestamp_text(recorded_at), actor, kind, request_id, payload, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def chain_record(
    *,
    seq: int,
    recorded_at: datetime,
    actor: str,
    kind: str,
    request_id: int | None,
    payload: Mapping[str, Any],
    prev_hash: str,
) -> ChainedRecord:
    """A new record following ``prev_hash``, its payload made canonical and hashed."""
    text = canonical_json(payload)
    digest = record_hash(
        seq=seq,
        recorded_at=recorded_at,
        actor=actor,
        kind=kind,
        request_id=request_id,
        payload=text,
        prev_hash=prev_hash,
    )
    return ChainedRecord(
        seq=seq,
        recorded_at=recorded_at,
        actor=actor,
        kind=kind,
        request_id=request_id,
        payload=text,
        prev_hash=prev_hash,
        hash=digest,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainVerdict:
    """What verifying a chain found: ``ok``, how many records, the head, the first bad record."""

    ok: bool
    records: int
    head_seq: int | None
    head_hash: str | None
    first_bad_seq: int | None = None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "ok": self.ok,
            "records": self.records,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
        }


def verify_chain(records: Iterable[ChainedRecord]) -> ChainVerdict:
    """Recompute every hash, in ``seq`` order, and name the first record that does not fit.

    A record is bad when its ``seq`` is not the previous one plus 1 (a record removed or
    inserted), its ``prev_hash`` is not the previous record's hash, or its own hash does not match
    its fields (the record was edited).

    >>> first = chain_record(seq=1, recorded_at=datetime(2026, 1, 1, tzinfo=UTC), actor="a",
    ...                      kind="k", request_id=None, payload={"n": 1}, prev_hash=GENESIS)
    >>> second = chain_record(seq=2, recorded_at=datetime(2026, 1, 1, tzinfo=UTC), actor="a",
    ...                       kind="k", request_id=None, payload={"n": 2}, prev_hash=first.hash)
    >>> verify_chain([first, second]).ok
    True
    >>> from dataclasses import replace
    >>> verdict = verify_chain([replace(first, actor="mallory"), second])
    >>> verdict.first_bad_seq, verdict.problem
    (1, 'its hash does not match its contents (the record was changed)')
    """
    previous_hash = GENESIS
    expected_seq = 1
    count = 0
    head: ChainedRecord | None = None
    for record in records:
        count += 1
        problem = None
        if record.seq != expected_seq:
            problem = f"sequence number {record.seq} where {expected_seq} was expected (a record is missing)"
        elif record.prev_hash != previous_hash:
            problem = "its prev_hash is not the previous record's hash"
        else:
            recomputed = record_hash(
                seq=record.seq,
                recorded_at=record.recorded_at,
                actor=record.actor,
                kind=record.kind,
                request_id=record.request_id,
                payload=record.payload,
                prev_hash=record.prev_hash,
            )
            if recomputed != record.hash:
                problem = "its hash does not match its contents (the record was changed)"
        if problem is not None:
            return ChainVerdict(
                ok=False,
                records=count,
                head_seq=head.seq if head else None,
                head_hash=head.hash if head else None,
                first_bad_seq=record.seq,
                problem=problem,
            )
        head = record
        previous_hash = record.hash
        expected_seq = record.seq + 1
    return ChainVerdict(
        ok=True, records=count, head_seq=head.seq if head else None, head_hash=head.hash if head else None
    )

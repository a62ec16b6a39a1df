"""Silences: matchers over an alert's rule, device, site, severity and labels, from a start to an end.

While a silence matches a firing alert, its notifications are held: the alert's state is still
tracked and shown, its firing notice goes out when the silence ends (if it still fires), and its
resolved notice always goes out.

Matchers are written ``name=value``, ``name!=value``, ``name=~regex`` or ``name!~regex``; a
regular expression must match the whole value. Names other than ``rule``, ``device``, ``site``
and ``severity`` are labels (``ifname=Gi0/1``).

>>> m = parse_matcher("device=~br001-.*")
>>> m.matches({"device": "br001-rtr1"}), m.matches({"device": "br002-rtr1"})
(True, False)
>>> parse_matcher("device")
Traceback (most recent call last):
...
ward_core.errors.ConfigError: matcher 'device': write name=value, name!=value, name=~regex or name!~regex
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ward_core.db.models import Silence
from ward_core.db.types import utcnow
from ward_core.errors import ConfigError

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class SilenceMatcher:
    """One ``name OP value`` condition."""

    name: str
    op: str
    value: str

    def matches(self, fields: Mapping[str, str | None]) -> bool:
        """True when the alert described by ``fields`` passes (a missing field reads as '')."""
        actual = fields.get(self.name) or ""
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready view (what the database stores)."""
        return {"name": self.name, "op": self.op, "value": self.value}

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


def parse_matcher(text: str) -> SilenceMatcher:
    """One matcher; ConfigError naming it when it is malformed or its regex does not compile."""
    found = _MATCHER.match(text)
    if found is None:
        raise ConfigError(f"matcher {text!r}: write name=value, name!=value, name=~regex or name!~regex")
    name, op, value = found.groups()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise ConfigError(f"matcher {text!r}: bad regular expression: {exc}") from None
    return SilenceMatcher(name, op, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveSilence:
    """A silence in force, ready to match alerts."""

    id: int
    matchers: tuple[SilenceMatcher, ...]
    ends_at: datetime

    def matches(self, fields: Mapping[str, str | None]) -> bool:
        """True when every matcher passes."""
        return all(m.matches(fields) for m in self.matchers)


def alert_fields(
    *, rule: str, device: str, site: str | None, severity: str, labels: Mapping[str, str]
) -> dict[str, str | None]:
    """What silence matchers see of an alert."""
    return {**labels, "rule": rule, "device": device, "site": site, "severity": severity}


def add_silence(
    session: Session,
    matchers: Sequence[SilenceMatcher],
    *,
    duration: timedelta,
    created_by: str,
    comment: str = "",
    starts_at: datetime | None = None,
) -> Silence:
    """Store a silence from ``starts_at`` (now) for ``duration``; ConfigError without matchers."""
    if not matchers:
        raise ConfigError("a silence needs at least one matcher (e.g. device=br001-rtr1)")
    if duration.total_seconds() <= 0:
        raise ConfigError("a silence must last more than 0 seconds")
    start = starts_at or utcnow()
    silence = Silence(
        matchers=[m.to_dict() for m in matchers],
        starts_at=start,
        ends_at=start + duration,
        created_by=created_by,
        comment=comment,
        created_at=utcnow(),
    )
    session.add(silence)
    session.flush()
    return silence


def expire_silence(session: Session, silence_id: int, now: datetime | None = None) -> Silence:
    """End a silence now; ConfigError when there is no such silence or it already ended."""
    now = now or utcnow()
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise ConfigError(f"no silence with id {silence_id}")
    if silence.expired_at is not None or silence.ends_at <= now:
        raise ConfigError(
            f"silence {silence_id} already ended at {(silence.expired_at or silence.ends_at).isoformat()}"
        )
    silence.expired_at = now
    return silence


def active_silences(session: Session, now: datetime) -> list[ActiveSilence]:
    """The silences in force at ``now``."""
    rows = session.scalars(
        select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now, Silence.expired_at.is_(None))
    )
    return [
        ActiveSilence(
            id=row.id,
            matchers=tuple(SilenceMatcher(m["name"], m["op"], m["value"]) for m in row.matchers),
            ends_at=row.ends_at,
        )
        for row in rows
    ]


def list_silences(
    session: Session, *, include_ended: bool = False, now: datetime | None = None
) -> list[Silence]:
    """Silences, newest first; only those in force or to come unless ``include_ended``."""
    now = now or utcnow()
    stmt = select(Silence).order_by(Silence.id.desc())
    if not include_ended:
        stmt = stmt.where(Silence.ends_at > now, Silence.expired_at.is_(None))
    return list(session.scalars(stmt))


def silence_dict(silence: Silence, now: datetime | None = None) -> dict[str, Any]:
    """A JSON-ready view of a stored silence, with its state (pending, active, ended)."""
    now = now or utcnow()
    ended = silence.expired_at is not None or silence.ends_at <= now
    state = "ended" if ended else ("active" if silence.starts_at <= now else "pending")
    return {
        "id": silence.id,
        "matchers": [str(SilenceMatcher(m["name"], m["op"], m["value"])) for m in silence.matchers],
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": silence.ends_at.isoformat(),
        "expired_at": silence.expired_at.isoformat() if silence.expired_at else None,
        "created_by": silence.created_by,
        "comment": silence.comment,
        "state": state,
    }

"""Announcing a change before making it, so the backup that sees it knows ward made it.

A remediation calls :func:`expect_change` for each device, in its own transaction, before it sends
the first command. The next new version of that device collected inside the window is recorded
with ``change_source = "remediation"`` and ``remediation`` = the name given here (a remediation run
id, say), and ``ward_config_changed`` carries that name. A change nobody announced is recorded as
``other``: someone changed the device by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ward_core.db.models import ExpectedChange
from ward_core.db.models.inventory import NAME_LENGTH
from ward_core.db.types import utcnow
from ward_core.errors import ConfigError

DEFAULT_WINDOW_S = 3600.0
"""How long an announcement stays open when the caller does not say."""


def expect_change(
    session: Session,
    *,
    device: str,
    remediation: str,
    window_s: float = DEFAULT_WINDOW_S,
    now: datetime | None = None,
) -> ExpectedChange:
    """Record that ``remediation`` is about to change ``device``'s configuration.

    The announcement covers versions collected from ``now`` until ``now + window_s``. Returns the
    row (flushed, so its id is set); the caller's transaction commits it.
    """
    if not remediation or len(remediation) > NAME_LENGTH:
        raise ConfigError(f"a remediation name has 1-{NAME_LENGTH} characters, got {remediation!r:.300}")
    if not window_s > 0:
        raise ConfigError(f"an expected change needs a window of more than 0 seconds, got {window_s}")
    start = now or utcnow()
    row = ExpectedChange(
        device=device,
        remediation=remediation,
        created_at=start,
        expires_at=start + timedelta(seconds=window_s),
    )
    session.add(row)
    session.flush()
    return row

"""The alert state machine, as a pure function: pending → firing → resolved.

- A condition that becomes true opens a *pending* alert (or a firing one when the rule has no
  ``for``). It fires once the condition has held at every evaluation for the ``for`` duration; if
  it stops holding first, the pending alert is cancelled (it never fired, it leaves no history).
- A firing alert resolves once its clear condition has held for ``keep_firing_for``: the explicit
  ``clear when`` condition, or else the condition no longer holding. While the condition still
  holds, the alert is not clearing, whatever the clear condition says. This is the hysteresis:
  ``loss > 20 clear when loss < 5`` fires once for a value flapping between 10 and 30.
- A fault (the rule could not be computed) changes nothing: a pending alert stays pending, a
  firing one keeps firing, and no alert opens.

>>> from datetime import UTC, datetime, timedelta
>>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
>>> s = lambda n: t0 + timedelta(seconds=n)
>>> decide(state=None, started_at=None, clear_since=None, condition=True, clear=None,
...        now=t0, for_s=3, keep_firing_for_s=0).action
'open_pending'
>>> decide(state="pending", started_at=t0, clear_since=None, condition=True, clear=None,
...        now=s(2), for_s=3, keep_firing_for_s=0).action
'hold'
>>> decide(state="pending", started_at=t0, clear_since=None, condition=True, clear=None,
...        now=s(3), for_s=3, keep_firing_for_s=0).action
'fire'
>>> decide(state="firing", started_at=t0, clear_since=None, condition=False, clear=None,
...        now=s(9), for_s=3, keep_firing_for_s=10)
Decision(action='hold', clear_since=datetime.datetime(2026, 1, 1, 0, 0, 9, tzinfo=datetime.timezone.utc))
>>> decide(state="firing", started_at=t0, clear_since=s(9), condition=False, clear=None,
...        now=s(19), for_s=3, keep_firing_for_s=10).action
'resolve'
>>> decide(state="firing", started_at=t0, clear_since=None, condition=False, clear=False,
...        now=s(9), for_s=3, keep_firing_for_s=0).action  # below the threshold, not yet clear
'hold'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Action = Literal["none", "open_pending", "open_firing", "fire", "cancel", "hold", "resolve"]

PENDING = "pending"
FIRING = "firing"
RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one instance's alert, and since when it has been clearing (None: not)."""

    action: Action
    clear_since: datetime | None = None


def decide(
    *,
    state: str | None,
    started_at: datetime | None,
    clear_since: datetime | None,
    condition: bool | None,
    clear: bool | None,
    now: datetime,
    for_s: float,
    keep_firing_for_s: float,
) -> Decision:
    """The next step for an instance whose alert is in ``state`` (None: no active alert).

    ``condition`` and ``clear`` are True, False or None (a fault); ``clear`` is None as well when
    the rule has no ``clear when``. See the module docstring for the rules.
    """
    if state is None:
        if condition is True:
            return Decision("open_firing" if for_s <= 0 else "open_pending")
        return Decision("none")
    if state == PENDING:
        if condition is True:
            held = (now - started_at).total_seconds() if started_at is not None else 0.0
            return Decision("fire" if held >= for_s else "hold")
        return Decision("cancel" if condition is False else "hold")
    clearing: bool | None
    if condition is True:
        clearing = False
    elif clear is not None:
        clearing = clear
    else:
        clearing = None if condition is None else True
    if clearing is None:
        return Decision("hold", clear_since)
    if not clearing:
        return Decision("hold", None)
    since = clear_since or now
    if (now - since).total_seconds() >= keep_firing_for_s:
        return Decision("resolve", since)
    return Decision("hold", since)

"""A playbook's ``schedule:``: standard five-field cron syntax, checked with croniter, in UTC.

``ward scheduler`` honours it for the playbooks of ``Settings.playbooks_dir``
(:mod:`ward_core.worker.playbook_schedule`).

>>> check_schedule("0 2 * * *")
'0 2 * * *'
>>> next_run("0 2 * * *", datetime(2026, 1, 1, 3, 0, tzinfo=UTC)).isoformat()
'2026-01-02T02:00:00+00:00'
>>> check_schedule("61 * * * *")
Traceback (most recent call last):
ValueError: '61 * * * *' is not a valid cron schedule (minute hour day-of-month month day-of-week)
"""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter

FIELDS = "minute hour day-of-month month day-of-week"


def check_schedule(text: str) -> str:
    """``text`` stripped when it is a valid five-field cron expression; ValueError otherwise."""
    cleaned = " ".join(text.split())
    if len(cleaned.split(" ")) != 5 or not croniter.is_valid(cleaned):
        raise ValueError(f"{text!r} is not a valid cron schedule ({FIELDS})")
    return cleaned


def next_run(schedule: str, after: datetime) -> datetime:
    """The first time after ``after`` that ``schedule`` names (in ``after``'s time zone)."""
    nxt: datetime = croniter(schedule, after).get_next(datetime)
    return nxt.astimezone(after.tzinfo or UTC)

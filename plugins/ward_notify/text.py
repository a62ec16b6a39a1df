"""Notices as text, for mail and the log: a subject, and one line per alert with symptoms indented
under the uplink they are folded under.

>>> from datetime import UTC, datetime
>>> t = datetime(2026, 1, 1, tzinfo=UTC)
>>> up = Alert(rule="device-down", device="r1", severity="critical", summary="r1 down", started_at=t,
...            site="br1")
>>> sym = Alert(rule="device-down", device="sw1", severity="critical", summary="sw1 down", started_at=t,
...             site="br1", symptom_of="r1")
>>> notice = AlertNotice(site="br1", alerts=(up, sym), created_at=t)
>>> notice_subject(notice)
'[ward] site br1: 1 firing (+1 symptom)'
>>> print("\\n".join(notice_lines(notice)))
Site br1, 2026-01-01 00:00:00 UTC
FIRING   critical  device-down on r1: r1 down
    symptom: device-down on sw1: sw1 down
"""

from __future__ import annotations

from ward_core.types import Alert, AlertNotice


def _line(alert: Alert) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    where = f"{alert.rule} on {alert.device}" + (f" [{labels}]" if labels else "")
    return f"{where}: {alert.summary}"


def notice_subject(notice: AlertNotice) -> str:
    """A short subject: counts of firing and resolved alerts, symptoms apart."""
    firing = [a for a in notice.firing if a.symptom_of is None]
    symptoms = [a for a in notice.alerts if a.symptom_of is not None]
    parts = []
    if firing:
        parts.append(f"{len(firing)} firing")
    resolved = [a for a in notice.resolved if a.symptom_of is None]
    if resolved:
        parts.append(f"{len(resolved)} resolved")
    text = ", ".join(parts) or "update"
    if symptoms:
        text += f" (+{len(symptoms)} symptom{'s' if len(symptoms) != 1 else ''})"
    return f"[ward] site {notice.site or '-'}: {text}"


def notice_lines(notice: AlertNotice) -> list[str]:
    """One line per alert; symptoms under their uplink's alert when it is in the notice."""
    lines = [f"Site {notice.site or '-'}, {notice.created_at:%Y-%m-%d %H:%M:%S} UTC"]
    roots = [a for a in notice.alerts if a.symptom_of is None]
    shown_roots = {a.device for a in roots}
    for alert in roots:
        state = "FIRING  " if alert.firing else "RESOLVED"
        lines.append(f"{state} {alert.severity:<9} {_line(alert)}")
        for symptom in notice.alerts:
            if symptom.symptom_of == alert.device:
                status = "symptom" if symptom.firing else "symptom resolved"
                lines.append(f"    {status}: {_line(symptom)}")
    for orphan in notice.alerts:
        if orphan.symptom_of is not None and orphan.symptom_of not in shown_roots:
            status = "FIRING  " if orphan.firing else "RESOLVED"
            lines.append(f"{status} {orphan.severity:<9} {_line(orphan)} (symptom of {orphan.symptom_of})")
    return lines

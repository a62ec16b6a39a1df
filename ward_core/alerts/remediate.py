"""Alert rules propose their remediation: a rule's ``remediation:`` is proposed when it fires.

The alerts plugin implements ``ward_alert_fired`` and ``ward_alert_resolved`` with
:class:`AlertRemediation` (:mod:`.plugin`), so the evaluator knows nothing of remediation: any
evaluation that announces a firing (after a poll batch, ``ward alerts evaluate``, a playbook's
``evaluate`` step) leads here, after its transaction committed. Decisions:

- **The normal propose path.** :func:`~ward_core.remediation.proposals.propose` with the same checks
  as ``ward remediation propose`` (action, platform, parameter schema, policy), the plan made on
  the device now and hashed. The requester is ``Settings.alert_requester`` (``ward-alerts``), an
  identity that can never approve or reject (:mod:`ward_core.remediation.decisions`); the reason
  is the rule, device and summary; the severity is the alert's (policy rules can match it); the
  evidence is the alert: its id, rule, device, site, severity, summary, labels, value, started_at
  and fired_at, and its fingerprint as the request's instance.
- **Parameters** are the rule's ``params``; a text value holding ``{{ ... }}`` is a Jinja2 template
  over the message's variables (``rule``, ``device``, ``site``, ``region``, ``role``, ``severity``,
  ``value``, ``labels``), rendered strictly (an unknown label is a refusal, not an empty string) and
  typed after the action's schema: ``interface: "{{ labels.ifname }}"`` bounces the interface that
  alerted.
- **One open request per alert instance** (rule, device and labels: the fingerprint), checked
  before the plan is made and again under the audit lock when the request is stored
  (:mod:`ward_core.remediation.instances`): an alert that flaps, or a firing announced twice, never
  stacks requests. An open request making the same change (same action and parameters on the
  device, from a playbook or a person) counts too.
- **Resolution** expires the instance's *pending* requests as superseded (nobody approves a fix for
  a problem that is gone); *approved* and *running* ones stand, with an audit note: people approved
  that exact plan, and the worker re-plans on the device before running it, so a device that
  changed needs fresh approvals anyway.
- **A proposal that fails** (a device outside the action's platforms, a plan or pre-check that
  fails because the device is down or the interface is shut, a template that does not render, no
  policy rule) is recorded on the alert (event ``remediation.refused`` with the reason) and in the
  audit log (``request.refused``), and never reaches the evaluation: nothing here raises.
- **Approved at once** (a policy that needs no approval, non-destructive actions only): handed to
  the workers when a broker is configured; without one it waits for ``ward remediation execute N``
  (said on the alert), so an evaluation never runs a device change inline in the poller.

Every outcome is an alert event (``remediation.proposed``, ``remediation.open``,
``remediation.refused``, ``remediation.superseded``) that ``ward alerts show`` lists.

Cost: the plugin hands over the rule as the announcing evaluation loaded it, so an alert whose rule
declares no remediation costs nothing (an alert announced by another evaluator in the process, as
``ward alerts evaluate`` builds, costs one indexed query); the hooks run after the dispatcher was
woken, so notices never wait for them. A proposal opens one device session for the pre-check
(bounded by ``remediation_device_timeout_s``) in the evaluating process. A rule reloaded without
its remediation while its alert fires leaves that alert's pending request to its TTL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ward_core.alerts.lifecycle import FIRING
from ward_core.alerts.rulefile import RuleDefinition
from ward_core.config import Settings
from ward_core.db.models import AlertEvent, AlertRow, AlertRule
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import RemediationError, RequestRefused
from ward_core.inventory.targets import load_targets
from ward_core.plugin_manager import WardPlugins
from ward_core.probes.labels import labels_key
from ward_core.remediation.context import RemediationContext
from ward_core.remediation.instances import INSTANCE_KEY, AlreadyOpen, refuse_if_open, supersede
from ward_core.remediation.proposals import Proposal, propose, record_refusal
from ward_core.remediation.registry import coerce_param
from ward_core.remediation.runtime import enqueue
from ward_core.remediation.states import RequestState
from ward_core.types import Alert, DeviceTarget, JsonObject

log = logging.getLogger(__name__)

PROPOSED = "remediation.proposed"
ALREADY_OPEN = "remediation.open"
REFUSED = "remediation.refused"
SUPERSEDED = "remediation.superseded"
SOURCE = "alert-rule"

_TEMPLATES = SandboxedEnvironment(undefined=StrictUndefined)


def is_template(value: object) -> bool:
    """Whether a parameter value is a template to render.

    >>> is_template("{{ labels.ifname }}"), is_template("Gi1/0/1"), is_template(5)
    (True, False, False)
    """
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def render_params(
    params: Mapping[str, Any], variables: Mapping[str, Any], schema: JsonObject
) -> dict[str, Any]:
    """``params`` with their templates rendered and typed after ``schema``; RequestRefused naming
    the parameter when one does not render.

    >>> schema = {"properties": {"hold_s": {"type": "integer"}}}
    >>> render_params({"interface": "{{ labels.ifname }}", "hold_s": "{{ 2 + 1 }}", "x": 1},
    ...               {"labels": {"ifname": "Gi1/0/3"}}, schema)
    {'interface': 'Gi1/0/3', 'hold_s': 3, 'x': 1}
    >>> render_params({"interface": "{{ labels.port }}"}, {"labels": {"ifname": "Gi1/0/3"}},
    ...               schema)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ward_core.errors.RequestRefused: remediation parameter 'interface': ... UndefinedError: ...'port'
    """
    rendered: dict[str, Any] = {}
    for name, value in params.items():
        if not is_template(value):
            rendered[name] = value
            continue
        try:
            text = _TEMPLATES.from_string(str(value)).render(**variables)
        except Exception as exc:
            raise RequestRefused(
                f"remediation parameter {name!r}: {value!r} does not render: {type(exc).__name__}: {exc}"
            ) from exc
        rendered[name] = coerce_param(schema, name, text)
    return rendered


def template_variables(alert: Alert, target: DeviceTarget | None) -> dict[str, Any]:
    """What a parameter template sees: the variables of a rule's message."""
    return {
        "rule": alert.rule,
        "device": alert.device,
        "site": alert.site,
        "region": target.region if target else None,
        "role": target.role if target else None,
        "severity": alert.severity,
        "value": alert.value,
        "labels": dict(alert.labels),
    }


def _alert_row(session: Session, alert: Alert) -> AlertRow | None:
    return session.scalar(
        select(AlertRow)
        .where(
            AlertRow.rule == alert.rule,
            AlertRow.device == alert.device,
            AlertRow.labels_key == labels_key(alert.labels),
        )
        .order_by(AlertRow.id.desc())
        .limit(1)
    )


def _evidence(row: AlertRow, alert: Alert) -> dict[str, Any]:
    return {
        "source": SOURCE,
        INSTANCE_KEY: alert.fingerprint,
        "alert": {
            "id": row.id,
            "rule": row.rule,
            "device": row.device,
            "site": row.site,
            "severity": row.severity,
            "summary": row.summary,
            "labels": dict(row.labels or {}),
            "value": row.value,
            "state": row.state,
            "started_at": row.started_at.isoformat(),
            "fired_at": row.fired_at.isoformat() if row.fired_at else None,
            "fingerprint": alert.fingerprint,
        },
    }


class AlertRemediation:
    """Proposes and supersedes the remediation of alert rules for one process (module docstring)."""

    def __init__(self, engine: Engine, settings: Settings, plugins: WardPlugins) -> None:
        self.engine = engine
        self.settings = settings
        self.plugins = plugins
        self._ctx: RemediationContext | None = None
        self._lock = threading.Lock()

    @property
    def requester(self) -> str:
        """Who alert rules propose as."""
        return self.settings.alert_requester

    def context(self) -> RemediationContext:
        """The remediation context, built on first use (the action registry checks plugins' schemas)."""
        with self._lock:
            if self._ctx is None:
                self._ctx = RemediationContext.build(self.engine, self.plugins, self.settings)
            return self._ctx

    # ---------------------------------------------------------------- firing

    def fired(
        self, alert: Alert, *, known: RuleDefinition | None = None, now: datetime | None = None
    ) -> dict[str, Any] | None:
        """Propose the remediation of ``alert``'s rule; the alert event recorded (None: nothing to do).

        ``known`` is the rule as the announcing evaluation loaded it (no query needed); without it
        the stored rule is read. Never raises: a failure is recorded on the alert and in the audit
        log, or logged when the database itself failed.
        """
        now = now or utcnow()
        if known is not None and not known.remediation:
            return None
        try:
            with session_scope(self.engine) as db:
                wanted = (
                    known.remediation
                    if known is not None
                    else db.scalar(select(AlertRule.remediation).where(AlertRule.name == alert.rule))
                )
                if not wanted:
                    return None
                row = _alert_row(db, alert)
                if row is None or row.state != FIRING:
                    log.warning(
                        "alert %s fired but is not firing in the database: not proposed", alert.fingerprint
                    )
                    return None
                alert_id, evidence = row.id, _evidence(row, alert)
                found = load_targets(db, names=[alert.device])
        except Exception:
            log.exception(
                "alert %s: reading its rule's remediation failed; nothing proposed", alert.fingerprint
            )
            return None
        action = str(wanted.get("action", ""))
        given = wanted.get("params")
        params: dict[str, Any] = dict(given) if isinstance(given, Mapping) else {}
        kind, detail = self._propose(
            alert, alert_id, action, params, evidence, found[0] if found else None, now
        )
        self._record(alert_id, kind, detail, now)
        return {"event": kind, **detail}

    def _propose(
        self,
        alert: Alert,
        alert_id: int,
        action: str,
        params: dict[str, Any],
        evidence: dict[str, Any],
        target: DeviceTarget | None,
        now: datetime,
    ) -> tuple[str, dict[str, Any]]:
        detail: dict[str, Any] = {"action": action, "params": params}
        what = {"action": action, "device": alert.device, "params": params, "evidence": evidence}
        try:
            ctx = self.context()
            schema = ctx.registry.get(action).params_schema if action in ctx.registry.names() else {}
            rendered = render_params(params, template_variables(alert, target), schema)
        except RemediationError as exc:
            return self._refused(what, detail, exc.reason, now)
        except Exception as exc:
            log.exception("alert %s: preparing remediation %s failed", alert.fingerprint, action)
            return self._refused(what, detail, f"{type(exc).__name__}: {exc}", now)
        detail["params"] = rendered
        fingerprint = alert.fingerprint

        def guard(db: Session) -> None:
            current = db.get(AlertRow, alert_id)
            if current is None or current.state != FIRING:
                raise RequestRefused(f"alert {alert_id} ({fingerprint}) is no longer firing: nothing to fix")
            refuse_if_open(db, device=alert.device, instance=fingerprint, action=action, params=rendered)

        try:
            proposal = propose(
                ctx,
                action=action,
                device=alert.device,
                params=rendered,
                reason=f"alert rule {alert.rule} fired on {alert.device}: {alert.summary}",
                requested_by=self.requester,
                severity=alert.severity,
                evidence=evidence,
                guard=guard,
                now=now,
            )
        except AlreadyOpen as exc:
            return ALREADY_OPEN, {**detail, "request": exc.request, "reason": exc.reason}
        except RemediationError as exc:
            return REFUSED, {**detail, "reason": exc.reason}
        except Exception as exc:
            log.exception("alert %s: proposing %s failed", alert.fingerprint, action)
            return self._refused(what, detail, f"{type(exc).__name__}: {exc}", now)
        return PROPOSED, {**detail, **self._queued(ctx, proposal)}

    def _queued(self, ctx: RemediationContext, proposal: Proposal) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "request": proposal.request_id,
            "state": proposal.state.value,
            "plan_hash": proposal.plan_hash,
            "approvals_needed": proposal.needed,
            "policy": proposal.rule.name,
        }
        if proposal.state is not RequestState.APPROVED:
            return facts
        if not self.settings.broker_url:
            return {**facts, "queued": None, "next": f"ward remediation execute {proposal.request_id}"}
        try:
            return {**facts, "queued": enqueue(ctx, proposal.request_id)}
        except Exception as exc:
            log.exception("request %s: handing it to the workers failed", proposal.request_id)
            return {
                **facts,
                "queued": None,
                "next": f"ward remediation execute {proposal.request_id}",
                "queue_error": f"{type(exc).__name__}: {exc}",
            }

    def _refused(
        self, what: dict[str, Any], detail: dict[str, Any], reason: str, now: datetime
    ) -> tuple[str, dict[str, Any]]:
        try:
            record_refusal(self.engine, self.requester, what, reason, now)
        except Exception:
            log.exception("auditing the refused remediation %s failed", what.get("action"))
        return REFUSED, {**detail, "reason": reason}

    # ---------------------------------------------------------------- resolution

    def resolved(
        self, alert: Alert, *, known: RuleDefinition | None = None, now: datetime | None = None
    ) -> dict[str, Any] | None:
        """Supersede the pending requests of ``alert``'s instance; the event recorded (None: none).

        ``known`` as for :meth:`fired`: a rule known to declare no remediation is not looked up.
        Never raises (a database failure is logged).
        """
        if known is not None and not known.remediation:
            return None
        now = now or utcnow()
        when = alert.resolved_at.isoformat() if alert.resolved_at else now.isoformat()
        try:
            outcome = supersede(
                self.engine,
                device=alert.device,
                instance=alert.fingerprint,
                reason=f"alert {alert.fingerprint} resolved at {when}",
                actor=self.requester,
                now=now,
            )
            if not outcome.expired and not outcome.kept:
                return None
            with session_scope(self.engine) as db:
                row = _alert_row(db, alert)
                alert_id = row.id if row is not None else None
        except Exception:
            log.exception("alert %s resolved: superseding its remediation requests failed", alert.fingerprint)
            return None
        if alert_id is not None:
            self._record(alert_id, SUPERSEDED, outcome.to_dict(), now)
        return {"event": SUPERSEDED, **outcome.to_dict()}

    # ---------------------------------------------------------------- the alert's history

    def _record(self, alert_id: int, kind: str, detail: dict[str, Any], now: datetime) -> None:
        try:
            with session_scope(self.engine) as db:
                db.add(
                    AlertEvent(alert_id=alert_id, time=now, kind=kind, actor=self.requester, detail=detail)
                )
        except Exception:
            log.exception("recording %s on alert %s failed: %s", kind, alert_id, detail)

"""Reading a playbook file and refusing it, before anything runs, when anything is wrong.

Every refusal is a :class:`~ward_core.errors.PlaybookError` naming the file, the line and the field:
a YAML error, an unknown top-level field, an unknown step type, parameters its schema rejects, a
``when`` on a step that does not come earlier, a ``${var}`` no ``vars`` entry defines (or a var
declared ``null``, i.e. required, and not given with ``--var``), a selector that is not one, or a
schedule that is not cron.

Format (see ``playbooks/*.yml``)::

    name: health-check
    description: ...
    targets: role:branch-router          # or {group: west-branch-routers}; default every device
    vars: {kinds: [icmp]}
    batch_size: 50
    concurrency: {per_site: 2}
    waves: {canary: 1, percent: 25, max_failures: 0}
    schedule: "*/15 * * * *"
    steps:
      - id: reach
        probe: {kinds: ["${kind}"]}
      - id: fix
        when: reach.failed
        remediate: {action: ..., reason: ...}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ward_core.errors import FilterError, PlaybookError
from ward_core.inventory.filters import parse_filter
from ward_core.playbooks.model import Playbook, Step, Waves, When
from ward_core.playbooks.positions import Located, load_with_lines
from ward_core.playbooks.schedule import check_schedule
from ward_core.probes.selection import PREFIXES

TOP_LEVEL = frozenset(
    {"name", "description", "targets", "vars", "steps", "batch_size", "concurrency", "waves", "schedule"}
)
STEP_KEYS = frozenset({"id", "description", "when", "continue_on_failure"})
STEP_ID = re.compile(r"^[A-Za-z_][\w-]*$")
WHEN = re.compile(r"^\s*(not\s+)?([A-Za-z_][\w-]*)\.([A-Za-z_]\w*)\s*$")
VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)\}")
WHOLE_VARIABLE = re.compile(r"^\$\{([A-Za-z_]\w*)\}$")


class _Reader:
    """Checks one parsed file; every error goes through :meth:`fail` with the field's line."""

    def __init__(self, located: Located, source: str) -> None:
        self.lines = located.lines
        self.source = source

    def line(self, path: str) -> int | None:
        probe = path
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            shorter = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", probe)
            probe = "" if shorter == probe else shorter
        return self.lines.get("")

    def fail(self, path: str, message: str) -> PlaybookError:
        return PlaybookError(message, file=self.source, line=self.line(path), field=path or None)

    def integer(self, data: Mapping[str, Any], key: str, path: str, default: int, least: int) -> int:
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise self.fail(path, f"must be an integer of at least {least}, got {value!r}")
        return value


def _substitute(value: Any, variables: Mapping[str, Any], reader: _Reader, path: str) -> Any:
    if isinstance(value, str):
        whole = WHOLE_VARIABLE.match(value)
        for name in VARIABLE.findall(value):
            if name not in variables:
                raise reader.fail(path, f"variable ${{{name}}} is not defined in vars")
            if variables[name] is None:
                raise reader.fail(path, f"variable ${{{name}}} is required: give it with --var {name}=VALUE")
        if whole:
            return variables[whole.group(1)]
        return VARIABLE.sub(lambda m: str(variables[m.group(1)]), value)
    if isinstance(value, Mapping):
        return {k: _substitute(v, variables, reader, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, variables, reader, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def check_selector(selector: str) -> None:
    """FilterError when ``selector`` is neither a name, a ``prefix:value`` nor a filter expression.

    >>> check_selector("role:branch-router"); check_selector("br001-rtr1")
    >>> check_selector('role == "x" and')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ward_core.errors.FilterError: filter 'role == "x" and' at column 16: the expression ends too early...
    """
    prefix, colon, value = selector.partition(":")
    if colon and prefix in PREFIXES and value and " " not in selector:
        return
    if re.fullmatch(r"[\w.\-/]+", selector):
        return
    parse_filter(selector)


def _targets(data: Mapping[str, Any], reader: _Reader) -> str | None:
    raw = data.get("targets")
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        if len(raw) != 1 or next(iter(raw)) not in ("selector", "group"):
            raise reader.fail("targets", "must be a selector string, {selector: ...} or {group: ...}")
        key, value = next(iter(raw.items()))
        if not isinstance(value, str) or not value.strip():
            raise reader.fail(f"targets.{key}", "must be a non-empty string")
        raw = f"group:{value}" if key == "group" else value
        path = f"targets.{key}"
    else:
        path = "targets"
    if not isinstance(raw, str) or not raw.strip():
        raise reader.fail(path, "must be a non-empty selector string")
    try:
        check_selector(raw.strip())
    except FilterError as exc:
        raise reader.fail(path, f"bad selector {raw!r}: {exc}") from None
    return raw.strip()


def _waves(data: Mapping[str, Any], reader: _Reader) -> Waves | None:
    raw = data.get("waves")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise reader.fail("waves", "must be a mapping {canary, percent, max_failures}")
    unknown = sorted(set(raw) - {"canary", "percent", "max_failures"})
    if unknown:
        raise reader.fail(f"waves.{unknown[0]}", "unknown field (fields: canary, percent, max_failures)")
    percent = reader.integer(raw, "percent", "waves.percent", 25, 1)
    if percent > 100:
        raise reader.fail("waves.percent", f"must be at most 100, got {percent}")
    return Waves(
        canary=reader.integer(raw, "canary", "waves.canary", 1, 1),
        percent=percent,
        max_failures=reader.integer(raw, "max_failures", "waves.max_failures", 0, 0),
    )


def _when(raw: Any, earlier: list[str], reader: _Reader, path: str) -> When:
    match = WHEN.match(raw) if isinstance(raw, str) else None
    if match is None:
        raise reader.fail(path, f"must read '[not] STEP.FIELD' (e.g. 'reach.failed'), got {raw!r}")
    negate, step, field = bool(match.group(1)), match.group(2), match.group(3)
    if step not in earlier:
        known = ", ".join(earlier) or "none"
        raise reader.fail(
            path, f"step {step!r} does not come earlier in the playbook (earlier steps: {known})"
        )
    return When(step=step, field=field, negate=negate, text=raw.strip())


def _step(
    raw: Any,
    index: int,
    schemas: Mapping[str, Mapping[str, Any]],
    variables: Mapping[str, Any],
    earlier: list[str],
    reader: _Reader,
) -> Step:
    path = f"steps[{index}]"
    if not isinstance(raw, Mapping):
        raise reader.fail(path, "a step is a mapping such as {probe: {kinds: [icmp]}}")
    types = [k for k in raw if k not in STEP_KEYS]
    if not types:
        raise reader.fail(path, f"names no step type (types: {', '.join(sorted(schemas))})")
    unknown = [k for k in types if k not in schemas]
    if unknown:
        raise reader.fail(
            f"{path}.{unknown[0]}", f"unknown step type {unknown[0]!r} (types: {', '.join(sorted(schemas))})"
        )
    if len(types) > 1:
        raise reader.fail(f"{path}.{types[1]}", f"a step has one type; this one has {', '.join(types)}")
    kind = types[0]
    step_id = raw.get("id", f"{kind}{index + 1}" if kind in earlier else kind)
    if not isinstance(step_id, str) or not STEP_ID.match(step_id):
        raise reader.fail(f"{path}.id", f"must be a name of letters, digits, _ and -, got {step_id!r}")
    if step_id in earlier:
        raise reader.fail(f"{path}.id", f"step id {step_id!r} is used twice: give this step its own id")
    params = _substitute(raw[kind] if raw[kind] is not None else {}, variables, reader, f"{path}.{kind}")
    if not isinstance(params, Mapping):
        raise reader.fail(f"{path}.{kind}", "parameters must be a mapping")
    validator = Draft202012Validator(schemas[kind])
    for error in sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path)):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise reader.fail(f"{path}.{kind}{where}", error.message)
    for_each = params.get("for_each") if kind == "remediate" else None
    if isinstance(for_each, str) and for_each.partition(".")[0] not in earlier:
        raise reader.fail(
            f"{path}.{kind}.for_each", f"step {for_each.partition('.')[0]!r} does not come earlier"
        )
    when = _when(raw["when"], earlier, reader, f"{path}.when") if "when" in raw else None
    flag = raw.get("continue_on_failure", False)
    if not isinstance(flag, bool):
        raise reader.fail(f"{path}.continue_on_failure", "must be true or false")
    return Step(
        id=step_id,
        type=kind,
        params=dict(params),
        line=reader.line(path) or 0,
        when=when,
        description=str(raw.get("description", "")),
        continue_on_failure=flag,
    )


def parse_playbook(
    text: str,
    source: str,
    step_schemas: Mapping[str, Mapping[str, Any]],
    given: Mapping[str, Any] | None = None,
) -> Playbook:
    """Check ``text`` (read from ``source``) against the step types' schemas; ``given`` are
    ``--var`` values, which override the file's ``vars``."""
    located = load_with_lines(text, source)
    reader = _Reader(located, source)
    data = located.value
    if not isinstance(data, Mapping):
        raise reader.fail("", "a playbook is a mapping with at least name and steps")
    unknown = sorted(set(data) - TOP_LEVEL)
    if unknown:
        raise reader.fail(unknown[0], f"unknown field (fields: {', '.join(sorted(TOP_LEVEL))})")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise reader.fail("name", "a playbook needs a name")
    variables = data.get("vars") or {}
    if not isinstance(variables, Mapping):
        raise reader.fail("vars", "must be a mapping of names to values")
    extra = sorted(set(given or {}) - set(variables))
    if extra:
        raise PlaybookError(
            f"--var {extra[0]} is not declared in vars (vars: {', '.join(variables) or 'none'})",
            file=source,
            line=reader.line("vars"),
            field="vars",
        )
    merged = {**variables, **(given or {})}
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise reader.fail("steps", "a playbook needs a non-empty list of steps")
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        steps.append(_step(raw, index, step_schemas, merged, [s.id for s in steps], reader))
    concurrency = data.get("concurrency") or {}
    if not isinstance(concurrency, Mapping) or set(concurrency) - {"per_site"}:
        raise reader.fail("concurrency", "must be a mapping with per_site")
    schedule = data.get("schedule")
    if schedule is not None:
        try:
            schedule = check_schedule(str(schedule))
        except ValueError as exc:
            raise reader.fail("schedule", str(exc)) from None
    description = data.get("description", "")
    return Playbook(
        name=name.strip(),
        path=source,
        description=str(description or "").strip(),
        targets=_targets(data, reader),
        vars=merged,
        steps=tuple(steps),
        batch_size=reader.integer(data, "batch_size", "batch_size", 50, 1),
        per_site=reader.integer(concurrency, "per_site", "concurrency.per_site", 4, 1),
        waves=_waves(data, reader),
        schedule=schedule,
        lines=dict(located.lines),
    )


def read_playbook(path: Path) -> str:
    """The text of the playbook file at ``path``; PlaybookError naming it when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError(f"cannot read the playbook: {exc.strerror or exc}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise PlaybookError(
            f"the playbook is not UTF-8 text: {exc.reason} at byte {exc.start}", file=str(path)
        ) from None


def load_playbook(
    path: Path, step_schemas: Mapping[str, Mapping[str, Any]], given: Mapping[str, Any] | None = None
) -> Playbook:
    """Read and check the playbook at ``path`` (see :func:`parse_playbook`)."""
    return parse_playbook(read_playbook(path), str(path), step_schemas, given)

"""The entry points the CLI (and the demo) call: read a playbook, choose its devices, plan, run.

:func:`prepare` reads and checks the file against the installed step types and resolves its
targets (intersected with ``--limit``) in the inventory; a selector matching nothing or not
parsing is refused naming the file, the ``targets`` line, or ``--limit``. :func:`dry_run` says what
would run where without writing anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ward_core.db.session import session_scope
from ward_core.errors import FilterError, InventoryError, PlaybookError
from ward_core.playbooks.loader import parse_playbook, read_playbook
from ward_core.playbooks.model import Playbook
from ward_core.playbooks.plan import plan_waves
from ward_core.playbooks.runner import step_schemas
from ward_core.plugin_manager import WardPlugins
from ward_core.probes.selection import select_devices, split_batches


@dataclass(frozen=True, slots=True)
class Prepared:
    """A checked playbook and the devices it will run on, in order; ``source`` is the file's text
    as it was checked (a queued run carries it, so a worker runs exactly what was validated) and
    ``given`` the ``--var`` values."""

    playbook: Playbook
    devices: tuple[str, ...]
    source: str = ""
    given: Mapping[str, Any] = field(default_factory=dict, hash=False)


def prepare(
    path: Path,
    *,
    engine: Engine,
    plugins: WardPlugins,
    limit: str | None = None,
    given: Mapping[str, Any] | None = None,
) -> Prepared:
    """Check the playbook at ``path`` and choose its devices (see the module docstring)."""
    source = read_playbook(path)
    playbook = parse_playbook(source, str(path), step_schemas(plugins), given)
    where = "targets.group" if playbook.line_of("targets.group") else "targets.selector"
    where = where if playbook.line_of(where) else "targets"
    with session_scope(engine) as session:
        try:
            chosen = select_devices(session, playbook.targets)
        except (InventoryError, FilterError) as exc:
            raise PlaybookError(
                str(exc), file=playbook.path, line=playbook.line_of(where), field=where
            ) from None
        if limit is not None:
            try:
                limited = set(select_devices(session, limit))
            except (InventoryError, FilterError) as exc:
                raise PlaybookError(
                    f"--limit {limit!r}: {exc}", file=playbook.path, field="--limit"
                ) from None
            chosen = [d for d in chosen if d in limited]
            if not chosen:
                raise PlaybookError(
                    f"--limit {limit!r} leaves no device of the playbook's targets", file=playbook.path
                )
    return Prepared(playbook, tuple(chosen), source, dict(given or {}))


def dry_run(prepared: Prepared) -> dict[str, Any]:
    """What would run on which devices: waves, batches and steps (with their conditions)."""
    playbook = prepared.playbook
    return {
        "playbook": playbook.name,
        "file": playbook.path,
        "description": playbook.description,
        "targets": playbook.targets,
        "schedule": playbook.schedule,
        "devices": len(prepared.devices),
        "steps": [
            {
                "id": s.id,
                "type": s.type,
                "line": s.line,
                "when": s.when.text if s.when else None,
                "params": dict(s.params),
            }
            for s in playbook.steps
        ],
        "waves": [
            {
                "name": wave.name,
                "batches": [list(b) for b in split_batches(wave.devices, playbook.batch_size)],
            }
            for wave in plan_waves(prepared.devices, playbook.waves)
        ],
        "stop_when_failures_exceed": playbook.waves.max_failures if playbook.waves else None,
        "per_site": playbook.per_site,
    }

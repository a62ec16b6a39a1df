"""``ward inventory import``: an idempotent upsert of one inventory file, keyed on names.

The whole file is validated first (fields, duplicates, filters, and references to sites,
credentials and devices, which may live in the file or already in the database); any error rejects
it with every problem listed and nothing written. Then, inside the caller's transaction:

* regions, sites and credential references are created when missing; of existing ones, only the
  fields the file states are updated (a CSV row naming a site does not wipe its description);
* devices are compared by content hash and only new or changed ones are written, in bulk (one
  INSERT and one UPDATE statement group, whatever the file's size); a device is defined entirely by
  its entry, so a field left out returns to its default;
* a group's kind, filter and static members are set from the file.

Nothing is deleted: records absent from the file are left as they are. Re-importing an unchanged
file issues no INSERT, UPDATE or DELETE at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ward_core.db.models import CredentialRef, Device, Group, GroupMember, Region, Site
from ward_core.db.types import utcnow
from ward_core.errors import InventoryError, StorageError
from ward_core.inventory.document import InventoryDocument, parse_inventory
from ward_core.inventory.fingerprint import spec_fingerprint
from ward_core.inventory.schema import SiteSpec
from ward_core.inventory.types import Counts, ImportReport, number_as_text


@dataclass
class _Stored:
    """What the database already holds, loaded once, one query per table."""

    regions: dict[str, Region]
    sites: dict[str, Site]
    credentials: dict[str, CredentialRef]
    groups: dict[str, Group]
    devices: dict[str, tuple[int, str]]

    @classmethod
    def load(cls, session: Session) -> _Stored:
        return cls(
            regions={r.name: r for r in session.scalars(select(Region))},
            sites={s.name: s for s in session.scalars(select(Site))},
            credentials={c.name: c for c in session.scalars(select(CredentialRef))},
            groups={g.name: g for g in session.scalars(select(Group))},
            devices={
                name: (id_, digest)
                for id_, name, digest in session.execute(select(Device.id, Device.name, Device.content_hash))
            },
        )


def _text(value: Any) -> str | None:
    """A referenced name as validation will read it (numbers become text), else None."""
    value = number_as_text(value)
    return value if isinstance(value, str) else None


def _reference_errors(doc: InventoryDocument, stored: _Stored) -> list[InventoryError]:
    """Sites, credentials and group members must exist in the file or the database.

    Checked on every record read, valid or not, so one run reports all problems of an entry.
    """
    sites = doc.names("sites") | stored.sites.keys()
    credentials = doc.names("credentials") | stored.credentials.keys()
    devices = doc.names("devices") | stored.devices.keys()
    hint = (
        "declare it in the credentials section of a YAML inventory and import that first"
        if doc.csv
        else "declare it under credentials:"
    )
    errors = []
    for record in doc.records:
        data = record.data
        if record.section == "devices":
            site = _text(data.get("site"))
            if site is not None and site not in sites:
                errors.append(
                    record.error(f"unknown site {site!r} (declare it under sites:)", ("site",), doc.source)
                )
            snmp = data.get("snmp")
            references: list[tuple[tuple[str, ...], str | None]] = [
                (("credentials",), _text(data.get("credentials")))
            ]
            if isinstance(snmp, dict):
                references.append((("snmp", "credentials"), _text(snmp.get("credentials"))))
            for path, name in references:
                if name is not None and name not in credentials:
                    errors.append(
                        record.error(f"unknown credential reference {name!r}: {hint}", path, doc.source)
                    )
        elif record.section == "groups" and isinstance(data.get("members"), list):
            for index, member in enumerate(map(_text, data["members"])):
                if member is not None and member not in devices:
                    errors.append(record.error(f"unknown device {member!r}", ("members", index), doc.source))
    return errors


def _apply(obj: object, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when any did."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


NEW_ROW_DEFAULTS: dict[type[Any], dict[str, Any]] = {
    Region: {"description": None},
    Site: {"description": None, "region_id": None, "vars": {}},
    CredentialRef: {"description": None},
}


Named = TypeVar("Named", Region, Site, CredentialRef)


def _upsert_named(
    session: Session,
    stored: dict[str, Named],
    wanted: Sequence[tuple[str, dict[str, Any]]],
    model: type[Named],
    counts: Counts,
) -> None:
    """Bulk-insert missing rows, then update the stated fields of existing ones that differ."""
    new: dict[str, dict[str, Any]] = {}
    for name, values in wanted:
        row = stored.get(name)
        if row is None:
            new[name] = {**NEW_ROW_DEFAULTS[model], **values, "name": name}
        elif _apply(row, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
    if new:
        session.execute(insert(model), list(new.values()))
        stored.update({row.name: row for row in session.scalars(select(model).where(model.name.in_(new)))})
        counts.created += len(new)
    session.flush()


def _stated(spec: Any, *fields: str) -> dict[str, Any]:
    return {f: getattr(spec, f) for f in fields if f in spec.model_fields_set}


def _upsert_devices(
    session: Session, doc: InventoryDocument, stored: _Stored, counts: Counts
) -> dict[str, int]:
    """Bulk-write new and changed devices; returns every device id by name."""
    ids = {name: id_ for name, (id_, _) in stored.devices.items()}
    now = utcnow()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for entry in doc.devices:
        spec = entry.spec
        digest = spec_fingerprint(spec)
        current = stored.devices.get(spec.name)
        if current is not None and current[1] == digest:
            counts.unchanged += 1
            continue
        values: dict[str, Any] = {
            "name": spec.name,
            "host": spec.host,
            "port": spec.port,
            "platform": spec.platform,
            "site_id": stored.sites[spec.site].id if spec.site else None,
            "role": spec.role,
            "tags": list(spec.tags),
            "vars": spec.vars,
            "snmp": spec.snmp.model_dump(mode="json") if spec.snmp else None,
            "credential_ref_id": stored.credentials[spec.credentials].id if spec.credentials else None,
            "content_hash": digest,
            "updated_at": now,
        }
        if current is None:
            new.append({**values, "created_at": now})
        else:
            changed.append({**values, "id": current[0]})
    if new:
        inserted = session.execute(insert(Device).returning(Device.id, Device.name), new)
        ids.update({name: id_ for id_, name in inserted})
    if changed:
        session.execute(update(Device), changed)
    counts.created += len(new)
    counts.updated += len(changed)
    return ids


def _upsert_groups(
    session: Session, doc: InventoryDocument, stored: _Stored, device_ids: dict[str, int], counts: Counts
) -> None:
    """Write group definitions, then only the membership rows that differ."""
    outcome: dict[str, str] = {}
    for entry in doc.groups:
        spec = entry.spec
        values = {"kind": spec.kind, "filter": spec.filter, **_stated(spec, "description")}
        group = stored.groups.get(spec.name)
        if group is None:
            stored.groups[spec.name] = Group(name=spec.name, **values)
            session.add(stored.groups[spec.name])
            outcome[spec.name] = "created"
        else:
            outcome[spec.name] = "updated" if _apply(group, values) else "unchanged"
    session.flush()
    wanted = {
        stored.groups[e.spec.name].id: (e.spec.name, {device_ids[m] for m in e.spec.members or []})
        for e in doc.groups
    }
    current: dict[int, set[int]] = {gid: set() for gid in wanted}
    if wanted:
        rows = session.execute(
            select(GroupMember.group_id, GroupMember.device_id).where(GroupMember.group_id.in_(wanted))
        )
        for gid, did in rows:
            current[gid].add(did)
    additions: list[dict[str, int]] = []
    for gid, (name, members) in wanted.items():
        if members == current[gid]:
            continue
        if outcome[name] == "unchanged":
            outcome[name] = "updated"
        additions.extend({"group_id": gid, "device_id": did} for did in sorted(members - current[gid]))
        removed = current[gid] - members
        if removed:
            session.execute(
                delete(GroupMember).where(GroupMember.group_id == gid, GroupMember.device_id.in_(removed))
            )
    if additions:
        session.execute(insert(GroupMember), additions)
    for result in outcome.values():
        setattr(counts, result, getattr(counts, result) + 1)


def _site_values(spec: SiteSpec, stored: _Stored) -> dict[str, Any]:
    values = _stated(spec, "description", "vars")
    if "region" in spec.model_fields_set:
        values["region_id"] = stored.regions[spec.region].id if spec.region else None
    return values


def _write(session: Session, doc: InventoryDocument, stored: _Stored) -> ImportReport:
    report = ImportReport(source=doc.source)
    regions = [(e.spec.name, _stated(e.spec, "description")) for e in doc.regions]
    _upsert_named(session, stored.regions, regions, Region, report.regions)
    sites = [(e.spec.name, _site_values(e.spec, stored)) for e in doc.sites]
    _upsert_named(session, stored.sites, sites, Site, report.sites)
    credentials = [(e.spec.name, _stated(e.spec, "description")) for e in doc.credentials]
    _upsert_named(session, stored.credentials, credentials, CredentialRef, report.credentials)
    device_ids = _upsert_devices(session, doc, stored, report.devices)
    _upsert_groups(session, doc, stored, device_ids, report.groups)
    return report


def import_inventory(path: Path | str, session: Session) -> ImportReport:
    """Import the YAML or CSV inventory at ``path`` into ``session``'s transaction.

    Raises :class:`~ward_core.errors.InventoryRejected` (every error, nothing written),
    :class:`~ward_core.errors.InventoryError` when the file cannot be read at all, or
    :class:`~ward_core.errors.StorageError` when the database refuses a write (for instance a
    concurrent import creating the same name); the caller then rolls back. The caller commits.
    """
    doc = parse_inventory(Path(path))
    stored = _Stored.load(session)
    doc.reject_if_errors(_reference_errors(doc, stored))
    try:
        return _write(session, doc, stored)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise StorageError(
            f"{doc.source}: writing the inventory failed: {type(cause).__name__}: {cause}"
        ) from exc

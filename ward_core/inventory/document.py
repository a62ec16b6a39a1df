"""An inventory file, read and validated on its own (without the database).

:func:`parse_inventory` never raises for bad content: it returns every record that validated plus
every error found (syntax, fields, duplicates within the file, filter expressions), so that the
importer can add the checks that need the database and report them all together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ward_core.errors import FilterError, InventoryError, InventoryRejected
from ward_core.inventory.credentials import FIELDS as CREDENTIAL_FIELDS
from ward_core.inventory.csv_source import read_csv_inventory
from ward_core.inventory.filters import parse_filter
from ward_core.inventory.raw import RawInventory, RawRecord
from ward_core.inventory.schema import CredentialSpec, DeviceSpec, GroupSpec, RegionSpec, SiteSpec
from ward_core.inventory.types import number_as_text
from ward_core.inventory.yaml_source import read_yaml_inventory

S = TypeVar("S", bound=BaseModel)

SPECS: dict[str, type[BaseModel]] = {
    "regions": RegionSpec,
    "sites": SiteSpec,
    "credentials": CredentialSpec,
    "groups": GroupSpec,
    "devices": DeviceSpec,
}
SECRET_FIELDS = frozenset(CREDENTIAL_FIELDS)
FORMATS = {".yml": read_yaml_inventory, ".yaml": read_yaml_inventory, ".csv": read_csv_inventory}


@dataclass(frozen=True)
class Entry(Generic[S]):
    """A validated record and the raw record it came from (for error positions)."""

    spec: S
    raw: RawRecord


@dataclass
class InventoryDocument:
    """The validated content of one file, and every error found in it."""

    source: str
    csv: bool = False
    regions: list[Entry[RegionSpec]] = field(default_factory=list)
    sites: list[Entry[SiteSpec]] = field(default_factory=list)
    credentials: list[Entry[CredentialSpec]] = field(default_factory=list)
    groups: list[Entry[GroupSpec]] = field(default_factory=list)
    devices: list[Entry[DeviceSpec]] = field(default_factory=list)
    errors: list[InventoryError] = field(default_factory=list)
    declared: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per section, every name declared (valid record or not) and where it first appears."""
    records: list[RawRecord] = field(default_factory=list)
    """Every record read, valid or not: references are checked on all of them."""

    def names(self, section: str) -> set[str]:
        """Names the file declares in ``section``."""
        return set(self.declared.get(section, {}))

    def reject_if_errors(self, extra: list[InventoryError] | None = None) -> None:
        """Raise :class:`InventoryRejected` with every error, ordered by position, if there is any."""
        errors = [*self.errors, *(extra or [])]
        if errors:
            raise InventoryRejected(self.source, sorted(errors, key=_position))


def _position(error: InventoryError) -> tuple[int, str]:
    match = re.search(r"\d+", error.location or "")
    return (int(match.group()) if match else 0, error.field or "")


def _message(error: dict[str, object]) -> str:
    """A pydantic error message, without pydantic's prefixes and never echoing the input."""
    text = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        text = text.removeprefix(prefix)
    return "unknown field" if error["type"] == "extra_forbidden" else text


def _declare(record: RawRecord, doc: InventoryDocument) -> None:
    """Note the record's name; a name declared twice in one section is an error."""
    name = number_as_text(record.data.get("name"))
    if not isinstance(name, str):
        return
    seen = doc.declared.setdefault(record.section, {})
    if name not in seen:
        seen[name] = record.locate(("name",))[0]
    elif not record.implicit:
        kind = record.section.removesuffix("s")
        message = f"duplicate {kind} {name!r} (first at {seen[name]})"
        doc.errors.append(record.error(message, ("name",), doc.source))


def _validate(record: RawRecord, source: str, doc: InventoryDocument) -> None:
    if record.section == "credentials":
        for key in record.data:
            if key in SECRET_FIELDS:
                doc.errors.append(
                    record.error(
                        "secrets never go in an inventory file: put them in the secrets file "
                        "or WARD_CRED_<NAME>_<FIELD> environment variables",
                        (key,),
                        source,
                    )
                )
                return
    try:
        spec = SPECS[record.section].model_validate(record.data)
    except ValidationError as exc:
        doc.errors.extend(
            record.error(_message(dict(err)), tuple(err["loc"]), source)
            for err in exc.errors(include_input=False)
        )
        return
    getattr(doc, record.section).append(Entry(spec, record))


def _check_group(entry: Entry[GroupSpec], source: str) -> list[InventoryError]:
    spec, raw = entry.spec, entry.raw
    if spec.filter is not None and spec.members is not None:
        return [
            raw.error("a group has members (static) or a filter (dynamic), not both", ("filter",), source)
        ]
    if spec.filter is None:
        return []
    try:
        parse_filter(spec.filter)
    except FilterError as exc:
        location, label = raw.locate(("filter",))
        return [
            FilterError(
                exc.detail,
                expression=exc.expression,
                column=exc.column,
                source=source,
                location=location,
                field=label,
            )
        ]
    return []


def _merge_implicit_regions(doc: InventoryDocument) -> None:
    """A region named by several sites (or rows) is one region."""
    unique: dict[str, Entry[RegionSpec]] = {}
    for entry in doc.regions:
        if entry.spec.name not in unique or not entry.raw.implicit:
            unique[entry.spec.name] = entry
    doc.regions = list(unique.values())


def parse_records(raw: RawInventory, *, csv: bool = False) -> InventoryDocument:
    """Validate raw records into an :class:`InventoryDocument`, collecting every error."""
    doc = InventoryDocument(source=raw.source, csv=csv, errors=list(raw.errors))
    doc.records = list(raw.records)
    for record in raw.records:
        _declare(record, doc)
        _validate(record, raw.source, doc)
    for site in doc.sites:
        if site.spec.region is not None and not site.raw.implicit:
            implied = RawRecord(
                "regions", {"name": site.spec.region}, site.raw.location, site.raw.locate, True
            )
            doc.regions.append(Entry(RegionSpec(name=site.spec.region), implied))
    for group in doc.groups:
        doc.errors.extend(_check_group(group, raw.source))
    _merge_implicit_regions(doc)
    return doc


def parse_inventory(path: Path) -> InventoryDocument:
    """Read and validate the inventory file at ``path`` (format chosen by its suffix)."""
    source = str(path)
    reader = FORMATS.get(path.suffix.lower())
    if reader is None:
        raise InventoryError(f"unknown inventory format (use {', '.join(FORMATS)})", source=source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InventoryError("no such file", source=source) from None
    except UnicodeDecodeError as exc:
        raise InventoryError(f"not UTF-8 text (byte {exc.start})", source=source) from None
    except OSError as exc:
        raise InventoryError(f"cannot read: {exc.strerror}", source=source) from None
    return parse_records(reader(text, source), csv=path.suffix.lower() == ".csv")

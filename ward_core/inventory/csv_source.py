"""Reading CSV inventory files: one device per row.

Columns (a header row is required; only ``name``, ``host`` and ``platform`` are mandatory)::

    name, host, port, platform, site, region, role, tags, credentials,
    snmp_version, snmp_credentials, snmp_port, snmp_user, snmp_auth_protocol, snmp_priv_protocol,
    vars.<key> (any number of them)

``tags`` are separated by semicolons. Sites and regions named in ``site``/``region`` are created
when missing. A ``vars.<key>`` cell holding a whole number or ``true``/``false`` is read as such, the
same value YAML would give; anything else is text. Rows are numbered like a spreadsheet's: the header
is row 1. Credentials cannot be declared in CSV: a referenced credential must already be known
(imported from a YAML inventory).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from typing import Any

from ward_core.errors import InventoryError
from ward_core.inventory.raw import Path, RawInventory, RawRecord

DEVICE_COLUMNS = ("name", "host", "port", "platform", "site", "region", "role", "tags", "credentials")
SNMP_COLUMNS = {
    "snmp_version": "version",
    "snmp_credentials": "credentials",
    "snmp_port": "port",
    "snmp_user": "user",
    "snmp_auth_protocol": "auth_protocol",
    "snmp_priv_protocol": "priv_protocol",
}
REQUIRED_COLUMNS = ("name", "host", "platform")
VARS_PREFIX = "vars."
_INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")


def cell_value(text: str) -> Any:
    """A ``vars.<key>`` cell as the value YAML would have given.

    >>> cell_value("65001"), cell_value("true"), cell_value("0042"), cell_value("eu-west")
    (65001, True, '0042', 'eu-west')
    """
    if _INTEGER.match(text):
        return int(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _field_label(path: Path) -> str:
    if not path:
        return ""
    if path[0] == "snmp" and len(path) > 1:
        return f"snmp_{path[1]}"
    if path[0] == "vars" and len(path) > 1:
        return f"{VARS_PREFIX}{path[1]}"
    return str(path[0])


def _locator(row: int) -> Callable[[Path], tuple[str, str]]:
    def locate(path: Path) -> tuple[str, str]:
        return f"row {row}", _field_label(path)

    return locate


def _header_errors(header: list[str], source: str) -> list[InventoryError]:
    known = set(DEVICE_COLUMNS) | set(SNMP_COLUMNS)
    errors = []
    for column in header:
        if column not in known and not (column.startswith(VARS_PREFIX) and len(column) > len(VARS_PREFIX)):
            errors.append(
                InventoryError(
                    f"unknown column (known: {', '.join([*DEVICE_COLUMNS, *SNMP_COLUMNS])}, vars.<key>)",
                    source=source,
                    location="row 1",
                    field=column,
                )
            )
    for column in REQUIRED_COLUMNS:
        if column not in header:
            errors.append(
                InventoryError("required column missing", source=source, location="row 1", field=column)
            )
    for column in {c for c in header if header.count(c) > 1}:
        errors.append(InventoryError("column appears twice", source=source, location="row 1", field=column))
    return errors


def _device(cells: dict[str, str]) -> dict[str, Any]:
    """A device record from one row's non-empty cells."""
    device: dict[str, Any] = {k: v for k, v in cells.items() if k in DEVICE_COLUMNS and k != "region"}
    if "tags" in device:
        device["tags"] = [tag.strip() for tag in device["tags"].split(";") if tag.strip()]
    snmp = {SNMP_COLUMNS[k]: v for k, v in cells.items() if k in SNMP_COLUMNS}
    if snmp:
        device["snmp"] = snmp
    variables = {k[len(VARS_PREFIX) :]: cell_value(v) for k, v in cells.items() if k.startswith(VARS_PREFIX)}
    if variables:
        device["vars"] = variables
    return device


def read_csv_inventory(text: str, source: str) -> RawInventory:
    """Split a CSV inventory into device records plus the sites and regions its rows name."""
    raw = RawInventory(source=source)
    rows = csv.reader(text.splitlines(keepends=True), strict=True)
    number = 1
    try:
        header = [column.strip() for column in next(rows, [])]
        if not header:
            return raw
        raw.errors.extend(_header_errors(header, source))
        if raw.errors:
            return raw
        sites: dict[str, tuple[dict[str, Any], int]] = {}
        regions: set[str] = set()
        for row in rows:
            number += 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raw.errors.append(
                    InventoryError(
                        f"{len(row)} cells, but the header has {len(header)} columns",
                        source=source,
                        location=f"row {number}",
                    )
                )
                continue
            cells = {column: cell.strip() for column, cell in zip(header, row, strict=True) if cell.strip()}
            locate = _locator(number)
            raw.records.append(RawRecord("devices", _device(cells), f"row {number}", locate))
            site, region = cells.get("site"), cells.get("region")
            if region and region not in regions:
                regions.add(region)
                raw.records.append(
                    RawRecord("regions", {"name": region}, f"row {number}", locate, implicit=True)
                )
            if site is None:
                if region:
                    raw.errors.append(
                        InventoryError(
                            "a region needs a site", source=source, location=f"row {number}", field="region"
                        )
                    )
                continue
            if site not in sites:
                site_record = {"name": site, "region": region} if region else {"name": site}
                sites[site] = (site_record, number)
                raw.records.append(RawRecord("sites", site_record, f"row {number}", locate, implicit=True))
                continue
            site_record, first_row = sites[site]
            if region and "region" not in site_record:
                site_record["region"] = region
                sites[site] = (site_record, number)
            elif region and region != site_record["region"]:
                raw.errors.append(
                    InventoryError(
                        f"site {site!r} is in region {site_record['region']!r} "
                        f"at row {first_row}, not {region!r}",
                        source=source,
                        location=f"row {number}",
                        field="region",
                    )
                )
    except csv.Error as exc:
        raw.errors.append(
            InventoryError(f"CSV syntax error: {exc}", source=source, location=f"row {number + 1}")
        )
    return raw

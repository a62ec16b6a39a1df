"""The records an inventory file holds, validated with pydantic.

Field names are the file's keys (YAML) or column names (CSV, see :mod:`ward_core.inventory.csv_source`).
A credential record declares a *name*: secrets never appear in an inventory file.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ward_core.inventory.addresses import check_host
from ward_core.inventory.platforms import check_platform
from ward_core.inventory.types import Name, SnmpSettings, number_as_text


def check_group_name(value: str) -> str:
    """Group names cannot contain ``:`` (``site:<name>`` and ``region:<name>`` are built in).

    >>> check_group_name("site:x")
    Traceback (most recent call last):
    ...
    ValueError: a group name cannot contain ':' (site:<name> and region:<name> groups are built in)
    """
    if ":" in value:
        raise ValueError(
            "a group name cannot contain ':' (site:<name> and region:<name> groups are built in)"
        )
    return value


def check_json(value: dict[str, Any]) -> dict[str, Any]:
    """Custom values are stored as JSON; refuse what JSON cannot hold (dates, sets...).

    >>> import datetime
    >>> check_json({"since": datetime.date(2024, 1, 1)})
    Traceback (most recent call last):
    ...
    ValueError: values must be JSON (text, numbers, booleans, lists, mappings): quote dates and times
    """
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "values must be JSON (text, numbers, booleans, lists, mappings): quote dates and times"
        ) from exc
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


GroupName = Annotated[Name, AfterValidator(check_group_name)]
Host = Annotated[str, BeforeValidator(number_as_text), AfterValidator(check_host)]
Platform = Annotated[str, AfterValidator(check_platform)]
Vars = Annotated[dict[str, Any], AfterValidator(check_json)]
Tags = Annotated[list[Name], AfterValidator(_unique)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionSpec(_Spec):
    """``regions:`` entries (optional: a site's region is created when first named)."""

    name: Name
    description: str | None = None


class SiteSpec(_Spec):
    """``sites:`` entries."""

    name: Name
    region: Name | None = None
    description: str | None = None
    vars: Vars = Field(default_factory=dict)


class CredentialSpec(_Spec):
    """``credentials:`` entries: the name of a credential, resolved at run time."""

    name: Name
    description: str | None = None


class GroupSpec(_Spec):
    """``groups:`` entries: ``members`` (static) or ``filter`` (dynamic), not both."""

    name: GroupName
    description: str | None = None
    members: list[Name] | None = None
    filter: str | None = None

    @property
    def kind(self) -> str:
        """``dynamic`` when the group has a filter, else ``static``."""
        return "dynamic" if self.filter is not None else "static"


class DeviceSpec(_Spec):
    """``devices:`` entries (YAML) or rows (CSV)."""

    name: Name
    host: Host
    port: int = Field(default=22, ge=1, le=65535)
    platform: Platform
    site: Name | None = None
    role: Name | None = None
    credentials: Name | None = None
    tags: Tags = Field(default_factory=list)
    vars: Vars = Field(default_factory=dict)
    snmp: SnmpSettings | None = None

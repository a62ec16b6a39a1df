"""The dynamic-group filter language: grammar, evaluation and error positions."""

from __future__ import annotations

from typing import Any

import pytest

from ward_core.errors import FilterError
from ward_core.inventory.filters import parse_filter
from ward_core.inventory.types import DeviceRecord

BRANCH = DeviceRecord(
    name="br001-rtr1",
    host="10.0.0.1",
    platform="cisco_ios",
    site="branch-001",
    region="west",
    role="branch-router",
    tags=("branch", "router"),
    vars={"asn": 65001, "wan": {"carrier": "acme"}, "ratio": 0.5, "managed": True},
    groups=("core",),
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('site.region == "west" and role == "branch-router"', True),
        ('site.region == "east" and role == "branch-router"', False),
        ('region == "west"', True),
        ('site == "branch-001"', True),
        ('site.name == "branch-001"', True),
        ("name == 'br001-rtr1'", True),
        ('host == "10.0.0.1"', True),
        ('platform != "cisco_ios"', False),
        ("port == 22", True),
        ('"branch" in tags', True),
        ('"switch" in tags', False),
        ('"switch" not in tags', True),
        ('role in ["hub-router", "branch-router"]', True),
        ('role not in ["hub-router", "branch-router"]', False),
        ('"core" in groups', True),
        ("vars.asn == 65001", True),
        ("vars.asn in [65001, 65002]", True),
        ('vars.wan.carrier == "acme"', True),
        ("vars.missing == null", True),
        ("vars.ratio == 0.5", True),
        ("vars.managed == true", True),
        ("vars.managed == false", False),
        ('not role == "branch-router"', False),
        ('not not role == "branch-router"', True),
        ('role == "x" or role == "branch-router"', True),
        ('role == "x" or role == "branch-router" and region == "east"', False),
        ('(role == "x" or role == "branch-router") and region == "west"', True),
        ('role == "x" or (role == "branch-router" and region == "west")', True),
        ('"rtr" in name', True),
        ('"rtr" in vars.asn', False),
        ("tags == ['branch', 'router']", True),
        ("vars.asn in []", False),
        ("vars.managed == 1", False),
        ("vars.asn in [true]", False),
        ('"carrier" in vars.wan', True),
        ('["branch"] in tags', False),
        ("vars.wan in [1]", False),
    ],
)
def test_evaluation(expression: str, expected: bool) -> None:
    assert parse_filter(expression).matches(BRANCH.filter_subject()) is expected


def test_and_binds_tighter_than_or() -> None:
    subject: dict[str, Any] = {"role": "a", "site": "x", "site.region": "east"}
    assert parse_filter('role == "a" or role == "b" and site == "y"').matches(subject)
    assert not parse_filter('(role == "a" or role == "b") and site == "y"').matches(subject)


def test_keywords_do_not_swallow_longer_names() -> None:
    """``in``/``not``/``and`` are keywords only as whole words."""
    assert parse_filter('"x" in tags and not vars.android == 1').matches({"tags": ["x"], "vars": {}})


def test_escaped_quotes_in_strings() -> None:
    assert parse_filter(r'vars.note == "say \"hi\""').matches({"vars": {"note": 'say "hi"'}})


@pytest.mark.parametrize(
    ("expression", "column", "message"),
    [
        ('role = "core"', 6, "unexpected character '='"),
        ('role == "core" and', 19, "ends too early"),
        ("role ==", 8, "ends too early"),
        ('(role == "a"', 13, "ends too early"),
        ('role == "a")', 12, "unexpected ')'"),
        ('role "a"', 6, "unexpected '\"a\"'"),
        ('sitee.region == "west"', 1, "unknown attribute 'sitee.region'"),
        ('role == "a" and vars == 1', 17, "unknown attribute 'vars'"),
        ('role == "a" && site == "b"', 13, "unexpected character '&'"),
        ("   ", None, "the expression is empty"),
    ],
)
def test_errors_name_the_expression_and_column(expression: str, column: int | None, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(expression)
    assert caught.value.expression == expression
    assert caught.value.column == column
    assert message in str(caught.value)
    assert repr(expression) in str(caught.value)

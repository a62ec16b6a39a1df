"""From walked IF-MIB columns to interface metrics: first choices, fallbacks, labels."""

from __future__ import annotations

from ward_snmp.interface_table import PRIMARY_COLUMNS, build_rows, missing_cells, row_indexes
from ward_snmp.interfaces import repetitions
from ward_snmp.oids import (
    IF_ADMIN_STATUS,
    IF_DESCR,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_IN_DISCARDS,
    IF_IN_ERRORS,
    IF_IN_OCTETS,
    IF_NAME,
    IF_OPER_STATUS,
    IF_OUT_DISCARDS,
    IF_OUT_ERRORS,
    IF_OUT_OCTETS,
    IF_SPEED,
)

from ward_core.types import COUNTER_BITS_LABEL

FULL = {
    IF_NAME: {"1": b"Gi0/1", "2": b"Gi0/2"},
    IF_HC_IN_OCTETS: {"1": 2**40, "2": 5},
    IF_HC_OUT_OCTETS: {"1": 7, "2": 6},
    IF_HIGH_SPEED: {"1": 10_000, "2": 1000},
    IF_ADMIN_STATUS: {"1": 1, "2": 2},
    IF_OPER_STATUS: {"1": 1, "2": 7},
    IF_IN_ERRORS: {"1": 3, "2": 0},
    IF_OUT_ERRORS: {"1": 4, "2": 0},
    IF_IN_DISCARDS: {"1": 5, "2": 0},
    IF_OUT_DISCARDS: {"1": 6, "2": 0},
}


def test_a_full_table_needs_no_fallback() -> None:
    assert missing_cells(FULL, row_indexes(FULL)) == {}


def test_every_metric_of_a_full_row() -> None:
    rows = build_rows(FULL)
    assert [r.if_index for r in rows] == [1, 2]
    values = {m.key: m.value for m in rows[0].metrics()}
    labels = 'ifindex="1",ifname="Gi0/1"'
    assert values == {
        f'if.in_octets{{counter_bits="64",{labels}}}': float(2**40),
        f'if.out_octets{{counter_bits="64",{labels}}}': 7.0,
        f'if.in_errors{{counter_bits="32",{labels}}}': 3.0,
        f'if.out_errors{{counter_bits="32",{labels}}}': 4.0,
        f'if.in_discards{{counter_bits="32",{labels}}}': 5.0,
        f'if.out_discards{{counter_bits="32",{labels}}}': 6.0,
        f"if.oper_up{{{labels}}}": 1.0,
        f"if.admin_up{{{labels}}}": 1.0,
        f"if.speed_bps{{{labels}}}": 10e9,
    }


def test_status_other_than_up_is_zero() -> None:
    second = build_rows(FULL)[1]
    assert (second.admin_up, second.oper_up) == (False, False), "admin down(2), oper lowerLayerDown(7)"


def test_rows_without_64_bit_counters_fall_back_one_by_one() -> None:
    cells = {column: dict(values) for column, values in FULL.items()}
    del cells[IF_HC_IN_OCTETS]["2"]
    del cells[IF_NAME]["2"]
    wanted = missing_cells(cells, row_indexes(cells))
    assert wanted == {IF_IN_OCTETS: [2], IF_DESCR: [2]}
    cells[IF_IN_OCTETS] = {"2": 99}
    cells[IF_DESCR] = {"2": b"GigabitEthernet0/2\x00"}
    second = build_rows(cells)[1]
    assert second.name == "GigabitEthernet0/2"
    assert second.in_octets is not None and (second.in_octets.value, second.in_octets.bits) == (99, 32)
    assert second.out_octets is not None and second.out_octets.bits == 64
    bits = {m.name: m.labels.get(COUNTER_BITS_LABEL) for m in second.metrics() if m.name.endswith("octets")}
    assert bits == {"if.in_octets": "32", "if.out_octets": "64"}


def test_an_agent_without_ifxtable() -> None:
    cells = {
        IF_ADMIN_STATUS: {"4": 1},
        IF_OPER_STATUS: {"4": 2},
        IF_DESCR: {"4": b"eth0"},
        IF_IN_OCTETS: {"4": 10},
        IF_OUT_OCTETS: {"4": 20},
        IF_SPEED: {"4": 100_000_000},
    }
    assert missing_cells({c: cells.get(c, {}) for c in PRIMARY_COLUMNS}, [4]) == {
        IF_IN_OCTETS: [4],
        IF_OUT_OCTETS: [4],
        IF_SPEED: [4],
        IF_DESCR: [4],
    }
    (row,) = build_rows(cells)
    assert (row.name, row.speed_bps, row.oper_up) == ("eth0", 100_000_000, False)
    assert row.in_octets is not None and row.in_octets.bits == 32


def test_unusable_values_are_left_out() -> None:
    cells = {IF_OPER_STATUS: {"1": 1}, IF_HC_IN_OCTETS: {"1": b"lots"}, IF_NAME: {"1": b""}}
    (row,) = build_rows(cells)
    assert row.name == "if1", "no ifName, no ifDescr: named after the index"
    assert row.in_octets is None
    assert {m.name for m in row.metrics()} == {"if.oper_up"}


def test_non_numeric_row_indexes_are_ignored() -> None:
    assert row_indexes({IF_OPER_STATUS: {"1": 1, "1.5": 1, "x": 1}}) == [1]


def test_repetitions_cover_the_table_and_its_end() -> None:
    assert repetitions(48, 50) == 49
    assert repetitions(49, 50) == 50
    assert repetitions(500, 50) == 50
    assert repetitions(None, 30) == 30

"""MibView GET/GETNEXT and the responder's GET, GETNEXT, GETBULK and SET rules, on a small MIB."""

from __future__ import annotations

import pytest

from ward_core.lab.snmp.ber import (
    END_OF_MIB_VIEW_VALUE,
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    NO_SUCH_INSTANCE_VALUE,
    NO_SUCH_OBJECT_VALUE,
    NULL_VALUE,
    RESPONSE,
    SET_REQUEST,
    decode_value,
    encode_integer,
    octets,
)
from ward_core.lab.snmp.message import Pdu, decode_pdu
from ward_core.lab.snmp.mib import MibView, RequestContext, Rows, Table, scalars
from ward_core.lab.snmp.responder import NO_CREATION, NOT_WRITABLE, TOO_BIG, respond


class Ctx(RequestContext):
    __slots__ = ("calls", "rows")

    def __init__(self, rows: list[int]) -> None:
        super().__init__()
        self.rows = rows
        self.calls = 0


def _rows(ctx: Ctx) -> Rows[int]:
    ctx.calls += 1
    return Rows.of([((n,), n) for n in ctx.rows])


SCALARS: Table[Ctx, None] = scalars(
    "group", (1, 3, 6, 1, 9), {1: lambda c, _: octets("one"), 3: lambda c, _: None}
)
TABLE: Table[Ctx, int] = Table(
    "table",
    (1, 3, 6, 1, 9, 2, 1),
    _rows,
    {
        1: lambda c, n: encode_integer(n),
        2: lambda c, n: octets(f"row{n}") if n % 2 else None,
    },
)
EMPTY: Table[Ctx, int] = Table(
    "empty", (1, 3, 6, 1, 9, 4, 1), lambda c: Rows([], []), {1: lambda c, n: NULL_VALUE}
)
LAST: Table[Ctx, None] = scalars("last", (1, 3, 6, 1, 10), {1: lambda c, _: encode_integer(99)})
VIEW: MibView[Ctx] = MibView([TABLE, LAST, EMPTY, SCALARS])


def walk(ctx: Ctx, start: tuple[int, ...] = (0,)) -> list[tuple[int, ...]]:
    seen = []
    oid: tuple[int, ...] | None = start
    while oid is not None:
        found = VIEW.next(ctx, oid)
        oid = None if found is None else found[0]
        if oid is not None:
            seen.append(oid)
    return seen


def test_walk_visits_columns_in_order_and_skips_sparse_cells_and_empty_tables() -> None:
    ctx = Ctx([5, 1, 2, 10])
    assert walk(ctx) == [
        (1, 3, 6, 1, 9, 1, 0),
        (1, 3, 6, 1, 9, 2, 1, 1, 1),
        (1, 3, 6, 1, 9, 2, 1, 1, 2),
        (1, 3, 6, 1, 9, 2, 1, 1, 5),
        (1, 3, 6, 1, 9, 2, 1, 1, 10),
        (1, 3, 6, 1, 9, 2, 1, 2, 1),
        (1, 3, 6, 1, 9, 2, 1, 2, 5),
        (1, 3, 6, 1, 10, 1, 0),
    ]
    assert ctx.calls == 1, "rows are computed once per request context"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ((1, 3, 6, 1, 9, 2, 1, 1, 2, 7), (1, 3, 6, 1, 9, 2, 1, 1, 5)),
        ((1, 3, 6, 1, 9, 2, 1, 1, 10), (1, 3, 6, 1, 9, 2, 1, 2, 1)),
        ((1, 3, 6, 1, 9, 2, 1, 1, 99), (1, 3, 6, 1, 9, 2, 1, 2, 1)),
        ((1, 3, 6, 1, 9, 2), (1, 3, 6, 1, 9, 2, 1, 1, 1)),
        ((1, 3, 6, 1, 9, 1, 0), (1, 3, 6, 1, 9, 2, 1, 1, 1)),
        ((1, 3, 6, 1, 9, 3), (1, 3, 6, 1, 10, 1, 0)),
        ((1, 3, 6, 1, 9, 4, 1, 1, 7), (1, 3, 6, 1, 10, 1, 0)),
    ],
)
def test_next_from_arbitrary_points(after: tuple[int, ...], expected: tuple[int, ...]) -> None:
    found = VIEW.next(Ctx([5, 1, 2, 10]), after)
    assert found is not None
    assert found[0] == expected


def test_get_distinguishes_missing_objects_from_missing_instances() -> None:
    ctx = Ctx([1, 2])
    assert VIEW.get(ctx, (1, 3, 6, 1, 9, 1, 0)) == octets("one")
    assert VIEW.get(ctx, (1, 3, 6, 1, 9, 2, 1, 2, 1)) == octets("row1")
    assert VIEW.get(ctx, (1, 3, 6, 1, 9, 2, 1, 2, 2)) == NO_SUCH_INSTANCE_VALUE
    assert VIEW.get(ctx, (1, 3, 6, 1, 9, 2, 1, 1, 3)) == NO_SUCH_INSTANCE_VALUE
    assert VIEW.get(ctx, (1, 3, 6, 1, 9, 1)) == NO_SUCH_INSTANCE_VALUE
    assert VIEW.get(ctx, (1, 3, 6, 1, 9, 3, 0)) == NO_SUCH_INSTANCE_VALUE
    assert VIEW.get(ctx, (1, 3, 6, 1, 9, 2, 1, 7, 1)) == NO_SUCH_OBJECT_VALUE
    assert VIEW.get(ctx, (1, 2)) == NO_SUCH_OBJECT_VALUE
    assert VIEW.next(ctx, (1, 3, 6, 1, 10, 1, 0)) is None


def test_nested_columns_are_refused() -> None:
    inner: Table[Ctx, None] = scalars("inner", (1, 3, 6, 1, 9, 1), {5: lambda c, _: NULL_VALUE})
    with pytest.raises(ValueError, match="contains"):
        MibView([SCALARS, inner])


def request(tag: int, *oids: tuple[int, ...], status: int = 0, index: int = 0) -> Pdu:
    return Pdu(tag, 77, status, index, [(oid, NULL_VALUE) for oid in oids])


def answer(pdu: Pdu, budget: int = 1400, rows: list[int] | None = None) -> Pdu:
    encoded = respond(VIEW, Ctx(rows or [1, 2, 3]), pdu, budget)
    assert encoded is not None
    decoded = decode_pdu(encoded, 0, len(encoded))
    assert (decoded.tag, decoded.request_id) == (RESPONSE, 77)
    return decoded


def test_getbulk_non_repeaters_then_repetitions_row_by_row() -> None:
    pdu = request(
        GET_BULK_REQUEST,
        (1, 3, 6, 1, 9),
        (1, 3, 6, 1, 9, 2, 1, 1),
        (1, 3, 6, 1, 9, 2, 1, 2),
        status=1,
        index=2,
    )
    oids = [oid for oid, _ in answer(pdu).varbinds]
    assert oids == [
        (1, 3, 6, 1, 9, 1, 0),
        (1, 3, 6, 1, 9, 2, 1, 1, 1),
        (1, 3, 6, 1, 9, 2, 1, 2, 1),
        (1, 3, 6, 1, 9, 2, 1, 1, 2),
        (1, 3, 6, 1, 9, 2, 1, 2, 3),
    ]


def test_getbulk_past_the_end_repeats_end_of_mib_view_under_the_last_name() -> None:
    pdu = request(GET_BULK_REQUEST, (1, 3, 6, 1, 9, 2, 1, 2, 3), (1, 3, 6, 1, 10, 1, 0), index=5)
    varbinds = answer(pdu).varbinds
    assert varbinds == [
        ((1, 3, 6, 1, 10, 1, 0), encode_integer(99)),
        ((1, 3, 6, 1, 10, 1, 0), END_OF_MIB_VIEW_VALUE),
        ((1, 3, 6, 1, 10, 1, 0), END_OF_MIB_VIEW_VALUE),
        ((1, 3, 6, 1, 10, 1, 0), END_OF_MIB_VIEW_VALUE),
    ]


def test_getbulk_is_truncated_to_the_budget_and_too_big_only_when_nothing_fits() -> None:
    many = list(range(1, 200))
    pdu = request(GET_BULK_REQUEST, (1, 3, 6, 1, 9, 2, 1, 1), index=150)
    full = answer(pdu, budget=60_000, rows=many).varbinds
    assert len(full) == 150
    cut = answer(pdu, budget=300, rows=many)
    assert 0 < len(cut.varbinds) < 150
    assert cut.varbinds == full[: len(cut.varbinds)]
    assert cut.error_status == 0
    assert answer(pdu, budget=5, rows=many).error_status == TOO_BIG


def test_get_and_getnext_answer_too_big_with_no_varbinds() -> None:
    pdu = request(GET_REQUEST, *[(1, 3, 6, 1, 9, 1, 0)] * 50)
    assert answer(pdu).varbinds
    too_big = answer(pdu, budget=100)
    assert (too_big.error_status, too_big.varbinds) == (TOO_BIG, [])
    assert answer(request(GET_NEXT_REQUEST, *[(1, 3, 6, 1, 9)] * 50), budget=100).error_status == TOO_BIG


def test_getnext_at_the_end() -> None:
    varbinds = answer(request(GET_NEXT_REQUEST, (1, 3, 6, 1, 10, 1, 0), (2, 1))).varbinds
    assert varbinds == [((1, 3, 6, 1, 10, 1, 0), END_OF_MIB_VIEW_VALUE), ((2, 1), END_OF_MIB_VIEW_VALUE)]


def test_set_is_refused_and_echoes_the_request() -> None:
    existing = Pdu(SET_REQUEST, 77, 0, 0, [((1, 3, 6, 1, 9, 1, 0), octets("new"))])
    refused = answer(existing)
    assert (refused.error_status, refused.error_index) == (NOT_WRITABLE, 1)
    assert refused.varbinds == existing.varbinds
    missing = answer(Pdu(SET_REQUEST, 77, 0, 0, [((1, 3, 6, 1, 9, 7, 0), encode_integer(1))]))
    assert (missing.error_status, missing.error_index) == (NO_CREATION, 1)


def test_responses_are_not_answered() -> None:
    assert respond(VIEW, Ctx([]), request(RESPONSE, (1, 3)), 1000) is None


def test_value_decoding_of_answers() -> None:
    value = answer(request(GET_REQUEST, (1, 3, 6, 1, 9, 2, 1, 1, 2))).varbinds[0][1]
    assert decode_value(value, 0, len(value))[1] == 2

"""LLDP-MIB rows to records: real time marks, every port ID subtype, and rows that are garbage."""

from __future__ import annotations

from datetime import UTC, datetime

from ward_lldp.tables import Walked, neighbour_records

from ward_core.topology import DeviceInfo, Observation, Reason, match


def rem(mark: int, local: int, index: int, **columns: object) -> dict[str, object]:
    numbers = {
        "chassis_subtype": 4,
        "chassis": 5,
        "port_subtype": 6,
        "port": 7,
        "desc": 8,
        "name": 9,
        "caps": 12,
    }
    return {f"{numbers[k]}.{mark}.{local}.{index}": v for k, v in columns.items()}


def hub() -> Walked:
    """A hub whose neighbours were learned at uptime 123456 and 99, on ifIndex 1 and 3."""
    walked = Walked()
    walked.scalars = {"1.0.8802.1.1.2.1.3.1.0": 4, "1.0.8802.1.1.2.1.3.2.0": bytes.fromhex("001ebd001000")}
    walked.loc_ports = {"2.1": 7, "3.1": b"1", "4.1": b"GigabitEthernet0/0/0", "2.3": 7, "3.3": b"3"}
    walked.if_names = {"1": b"Gi0/0/0", "2": b"Gi0/0/1", "3": b"Gi0/0/2"}
    walked.remotes = {
        **rem(
            123456,
            1,
            1,
            chassis_subtype=4,
            chassis=bytes.fromhex("001ebd002000"),
            port_subtype=7,
            port=b"1",
            desc=b"GigabitEthernet0/0/0",
            name=b"hub-east",
            caps=b"\x08",
        ),
        **rem(
            99,
            3,
            2,
            chassis_subtype=4,
            chassis=bytes.fromhex("001ebd003000"),
            port_subtype=3,
            port=bytes.fromhex("001ebd003001"),
            desc=b"eth0",
            name=b"linux-1",
        ),
    }
    walked.man_addrs = {
        "3.123456.1.1.2.16." + ".".join(["32", "1", "13", "184"] + ["0"] * 11 + ["1"]): 1,
        "3.123456.1.1.1.4.10.0.0.2": 1,
        "3.99.3.2.1.4.10.0.0.3": 1,
    }
    return walked


def test_rows_are_read_by_their_real_index_with_every_subtype_decoded() -> None:
    second, first = neighbour_records("hub-west", hub())  # rows come in index order: 99.3.2 first
    assert (first.local_interface, first.local_port_id, first.local_chassis_id) == (
        "Gi0/0/0",
        "1",
        "00:1e:bd:00:10:00",
    )
    assert (first.neighbour, first.chassis_id, first.neighbour_address) == (
        "hub-east",
        "00:1e:bd:00:20:00",
        "10.0.0.2",
    )
    assert (first.neighbour_port_id, first.neighbour_port_subtype) == ("1", "local")
    assert first.neighbour_interface == "GigabitEthernet0/0/0"
    assert first.capabilities == ("router",)
    assert (second.local_interface, second.local_port_id) == ("Gi0/0/2", "3")
    assert (second.neighbour_port_id, second.neighbour_port_subtype) == ("00:1e:bd:00:30:01", "macAddress")
    assert second.neighbour_address == "10.0.0.3"


def test_a_changed_time_mark_is_just_another_index() -> None:
    walked = hub()
    walked.remotes = {k.replace(".123456.", ".777.", 1): v for k, v in walked.remotes.items()}
    walked.man_addrs = {k.replace(".123456.", ".777.", 1): v for k, v in walked.man_addrs.items()}
    assert [r.neighbour for r in neighbour_records("hub-west", walked)] == ["linux-1", "hub-east"]


def test_garbage_rows_become_records_that_discovery_explains() -> None:
    walked = hub()
    walked.remotes.update(
        {
            "9.5.1": b"short-index",  # two arcs: not timeMark.localPortNum.remIndex
            "9.1.x.1": b"not-a-number",  # not a number: no local port either
            "5.7.2.1": b"\xff\xfe\xfd",  # a row with only an undecodable chassis ID
            "9.8.9.1": b"\x00\x01\x02",  # a name of control bytes, on a port nobody has
            "4.8.9.1": 99,
        }
    )
    records = neighbour_records("hub-west", walked)
    assert len(records) == 6
    odd = {
        r.neighbour or r.chassis_id or "": r for r in records if r.neighbour not in ("hub-east", "linux-1")
    }
    assert odd["short-index"].local_interface == odd["not-a-number"].local_interface == ""
    assert odd["fffefd"].local_interface == "Gi0/0/1"
    assert odd["000102"].local_interface == "port 9"
    devices = [DeviceInfo(name="hub-west", host="10.0.0.1"), DeviceInfo(name="hub-east", host="10.0.0.2")]
    seen = Observation(
        device="hub-west",
        transport="snmp",
        collected_at=datetime.now(UTC),
        ok=True,
        records=tuple(records),
    )
    result = match(devices, {"hub-west": seen})
    reasons = sorted(e.reason.value for e in result.explanations)
    assert reasons.count(Reason.UNKNOWN_DEVICE.value) == 3
    assert reasons.count(Reason.UNUSABLE_RECORD.value) == 2
    assert len(result.explanations) == 6

"""Link matching: every way a record can become a link, or not, and the reason it gives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ward_core.topology import Explanation, Override, Reason, match
from ward_core.types import Link

if TYPE_CHECKING:
    from conftest import Kit

GI = "GigabitEthernet"


def verdict(explanations: tuple[Explanation, ...], device: str, local: str) -> Explanation:
    found = [e for e in explanations if e.device == device and e.local_interface == local]
    assert len(found) == 1, found
    return found[0]


def test_both_ends_agreeing_make_a_two_sided_link_with_canonical_names(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs("rtr1", kit.rec("rtr1", "Gi0/0/2", "sw1", "Gi1/0/28")),
            kit.obs("sw1", kit.rec("sw1", "GigabitEthernet1/0/28", "rtr1.branch.example.net", "Gi0/0/2")),
        ),
    )
    assert [info.link for info in result.links] == [Link.between("rtr1", f"{GI}0/0/2", "sw1", f"{GI}1/0/28")]
    assert result.links[0].kind == "two_sided"
    assert result.links[0].reported_by == ("rtr1", "sw1")
    assert {e.verdict for e in result.explanations} == {"link"}
    assert verdict(result.explanations, "sw1", f"{GI}1/0/28").identified_by == ("name",)


def test_lldp_and_cdp_of_one_cable_merge_into_one_link(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs(
                "rtr1",
                kit.rec("rtr1", "Gi0/0/2", "sw1", "Gi1/0/28"),
                kit.rec(
                    "rtr1",
                    "GigabitEthernet0/0/2",
                    "sw1.example.net",
                    description=f"{GI}1/0/28",
                    protocol="cdp",
                ),
            ),
            kit.obs("sw1", kit.rec("sw1", "Gi1/0/28", "rtr1", "Gi0/0/2")),
        ),
    )
    assert len(result.links) == 1
    assert result.links[0].protocols == ("cdp", "lldp")
    assert len(result.explanations) == 3


def test_a_local_port_id_maps_to_the_far_device_interface_it_advertises(kit: Kit) -> None:
    """Hub routers advertise local(7) ifIndex port IDs: core1 says '3' is its Gi0/0/2."""
    result = match(
        kit.devices,
        kit.seen(
            kit.obs("core1", kit.rec("core1", "Gi0/0/2", "rtr1", "Gi0/0/0", local_port_id="3")),
            kit.obs(
                "rtr1", kit.rec("rtr1", "Gi0/0/0", "core1", "3", subtype="local", description="to the hub")
            ),
        ),
    )
    assert [info.link for info in result.links] == [Link.between("core1", f"{GI}0/0/2", "rtr1", f"{GI}0/0/0")]
    assert "advertised_port_id" in verdict(result.explanations, "rtr1", f"{GI}0/0/0").detail


def test_a_mac_port_id_maps_through_the_advertised_ids_whatever_its_spelling(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs(
                "sw1",
                kit.rec(
                    "sw1",
                    "eth1",
                    "sw2",
                    "aa:bb:cc:00:00:02",
                    subtype="macAddress",
                    local_port_id="aa:bb:cc:00:00:01",
                ),
            ),
            kit.obs(
                "sw2",
                kit.rec(
                    "sw2",
                    "eth2",
                    "sw1",
                    "AABB.CC00.0001",
                    subtype="macAddress",
                    local_port_id="aabb.cc00.0002",
                ),
            ),
        ),
    )
    assert [info.link for info in result.links] == [Link.between("sw1", "eth1", "sw2", "eth2")]
    assert result.links[0].kind == "two_sided"


def test_a_far_end_that_was_never_collected_gives_a_one_sided_link(kit: Kit) -> None:
    result = match(kit.devices, kit.seen(kit.obs("rtr1", kit.rec("rtr1", "Gi0/0/1", "rtr2", "Gi0/0/1"))))
    assert result.links[0].kind == "one_sided"
    explanation = verdict(result.explanations, "rtr1", f"{GI}0/0/1")
    assert (explanation.verdict, explanation.reason) == ("one_sided", Reason.FAR_END_NOT_COLLECTED)
    assert "never been collected" in explanation.detail


def test_a_far_end_that_failed_gives_a_one_sided_link_naming_its_error(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs("rtr1", kit.rec("rtr1", "Gi0/0/1", "rtr2", "Gi0/0/1")),
            kit.obs("rtr2", error="DeviceUnreachable: no answer"),
        ),
    )
    explanation = verdict(result.explanations, "rtr1", f"{GI}0/0/1")
    assert explanation.reason == Reason.FAR_END_NOT_COLLECTED
    assert "no answer" in explanation.detail


def test_a_silent_far_end_and_ends_that_disagree_are_told_apart(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs(
                "rtr1",
                kit.rec("rtr1", "Gi0/0/2", "sw1", "Gi1/0/28"),
                kit.rec("rtr1", "Gi0/0/3", "sw2", "Gi1/0/28"),
            ),
            kit.obs("sw1"),
            kit.obs("sw2", kit.rec("sw2", "Gi1/0/28", "rtr1", "Gi0/0/9")),
        ),
    )
    silent = verdict(result.explanations, "rtr1", f"{GI}0/0/2")
    assert (silent.verdict, silent.reason) == ("one_sided", Reason.FAR_END_SILENT)
    disagree = verdict(result.explanations, "rtr1", f"{GI}0/0/3")
    assert disagree.reason == Reason.ENDS_DISAGREE
    assert "sw2 reports rtr1 on GigabitEthernet1/0/28 (to GigabitEthernet0/0/9)" in disagree.detail
    assert all(info.kind == "one_sided" for info in result.links)


def test_unknown_devices_and_near_miss_names_are_explained_differently(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs(
                "rtr1",
                kit.rec("rtr1", "Gi0/0/5", "isp-router", "ge-0/0/0", address="192.0.2.1"),
                kit.rec("rtr1", "Gi0/0/6", "rtr01", "Gi0/0/0"),
            )
        ),
    )
    assert result.links == ()
    unknown = verdict(result.explanations, "rtr1", f"{GI}0/0/5")
    assert (unknown.verdict, unknown.reason) == ("unmatched", Reason.UNKNOWN_DEVICE)
    assert "isp-router" in unknown.detail and "192.0.2.1" in unknown.detail
    near = verdict(result.explanations, "rtr1", f"{GI}0/0/6")
    assert near.reason == Reason.NAME_MISMATCH
    assert "'rtr1'" in near.detail and "alias" in near.detail


def test_a_wrong_name_is_recognised_by_address_or_by_a_chassis_id_others_confirm(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs("rtr1", kit.rec("rtr1", "Gi0/0/2", "SW-OLD-NAME", "Gi1/0/28", address="10.0.1.2")),
            kit.obs("rtr2", kit.rec("rtr2", "Gi0/0/9", "core1", "Gi0/1/0", chassis=kit.mac["core1"])),
            kit.obs(
                "sw2", kit.rec("sw2", "Gi1/0/1", "CORE-RENAMED", "Gi0/1/1", chassis=kit.mac["core1"].upper())
            ),
        ),
    )
    by_address = verdict(result.explanations, "rtr1", f"{GI}0/0/2")
    assert by_address.far_device == "sw1"
    assert by_address.identified_by == ("address",)
    assert "not in the inventory" in by_address.detail
    by_chassis = verdict(result.explanations, "sw2", f"{GI}1/0/1")
    assert (by_chassis.far_device, by_chassis.identified_by) == ("core1", ("chassis_id",))


def test_an_alias_override_names_the_device_a_liar_stands_for(kit: Kit) -> None:
    records = kit.obs("rtr1", kit.rec("rtr1", "Gi0/0/2", "switch-a", "Gi1/0/28"))
    assert match(kit.devices, kit.seen(records)).links == ()
    alias = Override(kind="alias", a_device="sw1", alias="SWITCH-A", id=1)
    result = match(kit.devices, kit.seen(records), [alias])
    assert result.links[0].link == Link.between("rtr1", f"{GI}0/0/2", "sw1", f"{GI}1/0/28")
    assert result.links[0].identified_by == ("alias",)


def test_a_self_neighbour_is_recorded_and_never_a_loop(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs(
                "sw1",
                kit.rec("sw1", "Gi1/0/1", "sw1", "Gi1/0/2"),
                kit.rec("sw1", "Gi1/0/3", "", "Gi1/0/4", chassis=kit.mac["sw1"], own_chassis=kit.mac["sw1"]),
            )
        ),
    )
    assert result.links == ()
    reasons = {e.local_interface: e.reason for e in result.explanations}
    assert reasons == {f"{GI}1/0/1": Reason.SELF_NEIGHBOUR, f"{GI}1/0/3": Reason.SELF_NEIGHBOUR}


def test_a_duplicate_chassis_id_identifies_nobody_but_names_still_do(kit: Kit) -> None:
    shared = "00:de:ad:be:ef:00"
    result = match(
        kit.devices,
        kit.seen(
            kit.obs("sw1", kit.rec("sw1", "Gi1/0/1", "x", "Gi1/0/1", own_chassis=shared)),
            kit.obs("sw2", kit.rec("sw2", "Gi1/0/1", "y", "Gi1/0/1", own_chassis=shared)),
            kit.obs(
                "rtr1",
                kit.rec("rtr1", "Gi0/0/2", "sw1", "Gi1/0/28", chassis=shared),
                kit.rec("rtr1", "Gi0/0/3", "", "Gi1/0/28", chassis=shared),
            ),
        ),
    )
    named = verdict(result.explanations, "rtr1", f"{GI}0/0/2")
    assert named.far_device == "sw1" and named.verdict == "one_sided"
    anonymous = verdict(result.explanations, "rtr1", f"{GI}0/0/3")
    assert anonymous.reason == Reason.DUPLICATE_CHASSIS_ID
    assert "sw1" in anonymous.detail and "sw2" in anonymous.detail


def test_garbage_records_are_unusable_not_fatal(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs(
                "rtr1",
                kit.rec("rtr1", "", "sw1", "Gi1/0/28"),
                kit.rec("rtr1", "Gi0/0/7", "", None, subtype=None),
                kit.rec("rtr2", "Gi0/0/8", "sw1", "Gi1/0/1"),
                kit.rec("rtr1", "Gi0/0/2", "sw1", "17", subtype="local"),
            )
        ),
    )
    assert result.links == ()
    reasons = sorted(e.reason.value for e in result.explanations)
    assert reasons == ["port_not_found", "unusable_record", "unusable_record", "unusable_record"]
    misfiled = next(e for e in result.explanations if e.device == "rtr2")
    assert "while ward collected 'rtr1'" in misfiled.detail


def test_a_missing_port_is_taken_from_the_far_end_when_it_reports_back(kit: Kit) -> None:
    result = match(
        kit.devices,
        kit.seen(
            kit.obs("rtr1", kit.rec("rtr1", "Gi0/0/2", "sw1", "17", subtype="local")),
            kit.obs("sw1", kit.rec("sw1", "Gi1/0/28", "rtr1", "Gi0/0/2")),
        ),
    )
    assert [info.link for info in result.links] == [Link.between("rtr1", f"{GI}0/0/2", "sw1", f"{GI}1/0/28")]
    assert result.links[0].kind == "two_sided"
    assert "far_end" in verdict(result.explanations, "rtr1", f"{GI}0/0/2").detail


def test_overrides_declare_and_ignore_links(kit: Kit) -> None:
    seen = kit.seen(
        kit.obs("rtr1", kit.rec("rtr1", "Gi0/0/2", "sw1", "Gi1/0/28")),
        kit.obs("sw1", kit.rec("sw1", "Gi1/0/28", "rtr1", "Gi0/0/2")),
    )
    ignore = Override(
        kind="ignore",
        a_device="sw1",
        a_interface="Gi1/0/28",
        b_device="rtr1",
        b_interface="Gi0/0/2",
        id=4,
        reason="hub",
    )
    declare = Override(
        kind="link", a_device="core1", a_interface="Te1/1", b_device="rtr2", b_interface="Gi0/0/0", id=5
    )
    result = match(kit.devices, seen, [ignore, declare])
    assert [(info.link, info.kind) for info in result.links] == [
        (Link.between("core1", "TenGigabitEthernet1/1", "rtr2", f"{GI}0/0/0"), "override")
    ]
    assert {(e.verdict, e.reason) for e in result.explanations} == {("ignored", Reason.REMOVED_BY_OVERRIDE)}
    assert "#4" in result.explanations[0].detail and "(hub)" in result.explanations[0].detail


def test_records_of_devices_outside_the_inventory_add_no_node(kit: Kit) -> None:
    result = match(
        kit.devices[:2],
        kit.seen(
            kit.obs("ghost", kit.rec("ghost", "eth0", "rtr1", "Gi0/0/0")),
            kit.obs("rtr1", kit.rec("rtr1", "Gi0/0/0", "ghost", "eth0")),
        ),
    )
    assert result.links == ()
    assert [e.reason for e in result.explanations] == [Reason.UNKNOWN_DEVICE]

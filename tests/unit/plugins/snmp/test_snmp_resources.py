"""CPU and memory declarations: validation, arithmetic, and the hook that lets plugins add them."""

from __future__ import annotations

import types

import pytest
from ward_snmp.hookspecs import hookimpl
from ward_snmp.resource_registry import BUILTIN, GENERIC, ResourceRegistry, _implements
from ward_snmp.resource_tables import CISCO_CPU, CISCO_MEMORY, HOST_CPU, HOST_MEMORY, HR_STORAGE_RAM, UCD_CPU
from ward_snmp.resource_types import CpuOids, MemoryOids, ResourceOid
from ward_snmp.resources import cpu_metrics, memory_metrics

from ward_core.errors import ConfigError, PluginError


def test_cpu_is_the_mean_of_the_rows() -> None:
    assert [m.value for m in cpu_metrics(HOST_CPU, {HOST_CPU.load_column: {"196608": 10, "196609": 31}})] == [
        20.5
    ]
    assert cpu_metrics(HOST_CPU, {HOST_CPU.load_column: {}}) == []
    assert cpu_metrics(HOST_CPU, {HOST_CPU.load_column: {"1": b"busy"}}) == []


def test_an_idle_column_is_turned_around() -> None:
    assert [m.value for m in cpu_metrics(UCD_CPU, {UCD_CPU.load_column: {"0": 93}})] == [7.0]


def test_cisco_memory_uses_the_processor_pool_only() -> None:
    table = {
        CISCO_MEMORY.used_column: {"1": 300_000_000, "2": 13_000_000},
        CISCO_MEMORY.free_column or "": {"1": 700_000_000, "2": 51_000_000},
    }
    values = {m.name: m.value for m in memory_metrics(CISCO_MEMORY, table)}
    assert values == {"mem.used_bytes": 300_000_000.0, "mem.used_pct": 30.0}


def test_host_resources_memory_keeps_ram_rows_and_multiplies_units() -> None:
    entry = HOST_MEMORY.type_column or ""
    table = {
        entry: {"1": HR_STORAGE_RAM, "3": "1.3.6.1.2.1.25.2.1.3", "36": "1.3.6.1.2.1.25.2.1.4"},
        HOST_MEMORY.units_column or "": {"1": 1024, "3": 1024, "36": 4096},
        HOST_MEMORY.size_column or "": {"1": 1000, "3": 5000, "36": 9999},
        HOST_MEMORY.used_column: {"1": 250, "3": 4000, "36": 1},
    }
    values = {m.name: m.value for m in memory_metrics(HOST_MEMORY, table)}
    assert values == {"mem.used_bytes": 256_000.0, "mem.used_pct": 25.0}


def test_memory_rows_without_a_size_are_skipped() -> None:
    table = {HOST_MEMORY.type_column or "": {"1": HR_STORAGE_RAM}, HOST_MEMORY.used_column: {"1": 5}}
    assert memory_metrics(HOST_MEMORY, table) == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CpuOids(source="x", load_column=".1.3.6"), "load_column must be a numeric OID"),
        (lambda: CpuOids(source="x", load_column="cpmCPUTotal5minRev"), "numeric OID"),
        (lambda: MemoryOids(source="m", used_column="1.2"), "exactly one of free_column and size_column"),
        (
            lambda: MemoryOids(source="m", used_column="1.2", free_column="1.3", size_column="1.4"),
            "exactly one of free_column and size_column",
        ),
        (
            lambda: MemoryOids(source="m", used_column="1.2", free_column="1.3", type_column="1.5"),
            "type_column and type_value go together",
        ),
        (lambda: MemoryOids(source="m", used_column="1.2", size_column="1.3", unit_bytes=0), "unit_bytes"),
    ],
)
def test_bad_declarations_name_themselves(build: object, message: str) -> None:
    assert callable(build)
    with pytest.raises(ConfigError, match=message):
        build()


def test_cisco_platforms_get_cisco_oids_first_then_the_fallback() -> None:
    registry = ResourceRegistry()
    assert registry.for_platform("cisco_ios") == (CISCO_CPU, CISCO_MEMORY, HOST_CPU, UCD_CPU, HOST_MEMORY)
    assert registry.for_platform("linux") == (HOST_CPU, UCD_CPU, HOST_MEMORY)


JUNOS_CPU = CpuOids(source="jnxOperatingCPU", load_column="1.3.6.1.4.1.2636.3.1.13.1.8")


def vendor_plugin(returned: object = None, *, raises: bool = False) -> types.SimpleNamespace:
    @hookimpl
    def ward_snmp_resource_oids(platform: str) -> list[ResourceOid] | None:
        if raises:
            raise RuntimeError("table missing")
        if platform == "juniper_junos":
            return returned  # type: ignore[return-value]
        return None

    return types.SimpleNamespace(ward_snmp_resource_oids=ward_snmp_resource_oids)


def test_a_plugin_adds_a_platform_before_the_fallback() -> None:
    registry = ResourceRegistry()
    registry.register(vendor_plugin([JUNOS_CPU]), name="juniper")
    assert registry.for_platform("juniper_junos") == (JUNOS_CPU, HOST_CPU, UCD_CPU, HOST_MEMORY)
    assert registry.for_platform("cisco_ios")[:2] == (CISCO_CPU, CISCO_MEMORY)


def test_a_raising_plugin_is_named() -> None:
    registry = ResourceRegistry()
    registry.register(vendor_plugin(raises=True), name="broken")
    with pytest.raises(
        PluginError, match=r"plugin 'broken': ward_snmp_resource_oids\('linux'\) raised RuntimeError"
    ):
        registry.for_platform("linux")


def test_a_wrong_return_is_named() -> None:
    registry = ResourceRegistry()
    registry.register(vendor_plugin(["1.3.6.1.4.1.2636"]), name="sloppy")
    with pytest.raises(PluginError, match=r"plugin 'sloppy': .* must return a list of CpuOids/MemoryOids"):
        registry.for_platform("juniper_junos")


def test_a_misspelled_hook_is_refused_at_registration() -> None:
    @hookimpl
    def ward_snmp_resource_oid(platform: str) -> None:
        return None

    with pytest.raises(PluginError, match="plugin 'typo'"):
        ResourceRegistry().register(
            types.SimpleNamespace(ward_snmp_resource_oid=ward_snmp_resource_oid), name="typo"
        )


def test_only_marked_functions_count_as_implementations() -> None:
    def ward_snmp_resource_oids(platform: str) -> None:
        return None

    assert not _implements(types.SimpleNamespace(ward_snmp_resource_oids=ward_snmp_resource_oids))
    assert _implements(vendor_plugin())


def test_installed_plugins_are_scanned_and_builtins_are_registered_once() -> None:
    registry = ResourceRegistry()
    registry.load_entry_points()
    names = [impl.plugin_name for impl in registry._pm.hook.ward_snmp_resource_oids.get_hookimpls()]
    assert sorted(names) == sorted({*names}), names
    assert {BUILTIN, GENERIC} <= set(names)

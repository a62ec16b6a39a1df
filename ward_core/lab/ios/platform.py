"""What a device's software and hardware call themselves: the strings ``show version``, ``show
inventory``, ``show interfaces`` and the neighbour tables print for each hardware model.

Two families are simulated: IOS-XE routers (the ISR 4000 series: ``Cisco IOS Software [Fuji], ISR
Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)``) and classic IOS Catalyst switches (``C2960X Software``).
Anything else is shown as a classic IOS router.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ward_core.lab.hardware import MODELS_BY_NAME
from ward_core.lab.model import Device

TECH_SUPPORT = "Technical Support: http://www.cisco.com/techsupport"
_XE_TRAINS = {
    "16.6": "Everest",
    "16.9": "Fuji",
    "16.12": "Gibraltar",
    "17.3": "Amsterdam",
    "17.6": "Bengaluru",
}


@dataclass(frozen=True)
class InventoryItem:
    """One ``show inventory`` entry."""

    name: str
    descr: str
    pid: str
    vid: str
    serial: str


@dataclass(frozen=True)
class Platform:
    """The identity strings of one hardware model running one software family."""

    model: str
    family: str
    image_family: str
    image_file: str
    processor: str
    rom: str
    compiled: str
    copyright_year: int
    fixed_port_hardware: str
    module_port_hardware: str
    fixed_ports: tuple[str, ...]

    @property
    def is_router(self) -> bool:
        return self.family != "ios-switch"

    def software_line(self, version: str) -> str:
        """The first line of ``show version`` that ntc-templates reads the version from.

        >>> line = platform_for_model("WS-C2960X-24PS-L").software_line("15.2(7)E8")
        >>> line.split(", ")[1:3]
        ['C2960X Software (C2960X-UNIVERSALK9-M)', 'Version 15.2(7)E8']
        """
        if self.family == "iosxe-router":
            train = _XE_TRAINS.get(config_version(version), "Fuji")
            return (
                f"Cisco IOS Software [{train}], ISR Software ({self.image_family}), "
                f"Version {version}, RELEASE SOFTWARE (fc2)"
            )
        software = self.model.split("-")[1] if self.model.startswith("WS-") else self.model
        return (
            f"Cisco IOS Software, {software} Software ({self.image_family}), "
            f"Version {version}, RELEASE SOFTWARE (fc1)"
        )

    def software_banner(self, version: str) -> list[str]:
        """The four lines every Cisco peer advertises as its CDP/LLDP description."""
        return [
            self.software_line(version),
            TECH_SUPPORT,
            f"Copyright (c) 1986-{self.copyright_year} by Cisco Systems, Inc.",
            f"Compiled {self.compiled} by mcpre",
        ]

    def port_hardware(self, port: str) -> str:
        """``Hardware is ...`` of one port."""
        return self.fixed_port_hardware if port in self.fixed_ports else self.module_port_hardware

    @property
    def cdp_capabilities(self) -> str:
        return "Router Switch IGMP" if self.is_router else "Switch IGMP"

    @property
    def cdp_codes(self) -> str:
        return "R B S I" if self.is_router else "S I"

    @property
    def lldp_capabilities(self) -> tuple[str, str]:
        """System and enabled capabilities."""
        return ("B,R", "R") if self.is_router else ("B", "B")

    def inventory(self, device: Device) -> list[InventoryItem]:
        """Chassis first, then the field-replaceable parts, each with a stable serial."""
        if self.family == "ios-switch":
            return [
                InventoryItem("1", self.model, self.model, "V04", device.serial),
                InventoryItem(
                    "Switch 1 - Power Supply 0",
                    "Switch 1 - Power Supply 0",
                    "PWR-C2-640WAC",
                    "V02",
                    derived_serial(device.serial, "psu0", "DCB"),
                ),
            ]
        short = self.model.split("/")[0].removesuffix("-X")
        series = short[:-1] + "0"
        watts = "450W" if series >= "ISR44" else "250W"
        return [
            InventoryItem("Chassis", f"Cisco {short} Chassis", self.model, "V05", device.serial),
            InventoryItem(
                "Power Supply Module 0",
                f"{watts} AC Power Supply for Cisco {series}",
                f"PWR-{series[3:]}-AC",
                "V02",
                derived_serial(device.serial, "psu0", "PST"),
            ),
            InventoryItem("Fan Tray", f"Cisco {series} Fan Assembly", f"ACS-{series[3:]}-FANASSY", "", ""),
            InventoryItem("module 0", f"Cisco {short} Built-In NIM controller", self.model, "", ""),
            InventoryItem(
                "NIM subslot 0/0",
                f"Front Panel {len(self.fixed_ports)} ports Gigabitethernet Module",
                self.fixed_port_hardware,
                "V01",
                "",
            ),
            InventoryItem(
                "module R0",
                f"Cisco {short} Route Processor",
                self.model,
                "V05",
                derived_serial(device.serial, "rp0", "FOC"),
            ),
            InventoryItem("module F0", f"Cisco {short} Forwarding Processor", self.model, "", ""),
        ]


def config_version(version: str) -> str:
    """The ``version`` line of a running config: major.minor of the software version.

    >>> config_version("16.9.8"), config_version("15.2(7)E8")
    ('16.9', '15.2')
    """
    head = version.split("(")[0]
    return ".".join(head.split(".")[:2])


def xe_version(version: str) -> str:
    """IOS-XE's zero-padded form of a version.

    >>> xe_version("16.9.8")
    '16.09.08'
    """
    major, *rest = version.split(".")
    return ".".join([major, *(f"{int(part):02d}" if part.isdigit() else part for part in rest)])


def derived_serial(serial: str, part: str, prefix: str) -> str:
    """A stable serial for a part of the chassis ``serial``.

    >>> derived_serial("FDO1234ABCD", "psu0", "PST") == derived_serial("FDO1234ABCD", "psu0", "PST")
    True
    """
    digest = hashlib.sha256(f"{serial}/{part}".encode()).hexdigest().upper()
    return f"{prefix}{int(digest[:8], 16) % 9000 + 1000}{digest[8:12]}"


def platform_for_model(model: str) -> Platform:
    """The platform strings of a hardware model (a classic IOS router for unknown models)."""
    hardware = MODELS_BY_NAME.get(model)
    fixed = hardware.fixed_ports if hardware else ()
    processor = hardware.processor if hardware else f"{model} processor with 1048576K bytes of memory"
    image = hardware.image if hardware else f"{model.lower()}-universalk9-mz.bin"
    if model.startswith("ISR4"):
        short = model.split("/")[0]
        port_count = sum(1 for port in fixed if port.startswith("GigabitEthernet0/0/"))
        return Platform(
            model=model,
            family="iosxe-router",
            image_family="X86_64_LINUX_IOSD-UNIVERSALK9-M",
            image_file=f"bootflash:{image}",
            processor=processor,
            rom="16.7(4r)",
            compiled="Thu 02-Dec-21 13:48",
            copyright_year=2021,
            fixed_port_hardware=f"{short}-{port_count}x1GE",
            module_port_hardware="NIM-ES2-8",
            fixed_ports=tuple(port for port in fixed if port.startswith("GigabitEthernet0/0/")),
        )
    if model.startswith("WS-C"):
        family = model.split("-")[1]
        return Platform(
            model=model,
            family="ios-switch",
            image_family=f"{family}-UNIVERSALK9-M",
            image_file=f"flash:{image}",
            processor=processor,
            rom=f"Bootstrap program is {family} boot loader",
            compiled="Fri 31-Mar-23 08:36",
            copyright_year=2023,
            fixed_port_hardware="Gigabit Ethernet",
            module_port_hardware="Gigabit Ethernet",
            fixed_ports=fixed,
        )
    return Platform(
        model=model,
        family="ios-router",
        image_family=f"{model.split('/')[0].upper()}-UNIVERSALK9-M",
        image_file=f"flash:{image}",
        processor=processor,
        rom="System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)",
        compiled="Wed 02-Aug-23 10:12",
        copyright_year=2023,
        fixed_port_hardware="iGbE",
        module_port_hardware="iGbE",
        fixed_ports=fixed,
    )


def platform_of(device: Device) -> Platform:
    """The platform strings of ``device``."""
    return platform_for_model(device.model)

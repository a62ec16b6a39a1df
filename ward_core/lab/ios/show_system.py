"""``show version``, ``show inventory`` and ``show clock``: identity and time of one device."""

from __future__ import annotations

from ward_core.lab.ios.platform import Platform, platform_of, xe_version
from ward_core.lab.ios.timefmt import clock, timestamp, uptime
from ward_core.lab.model import Device, LabNetwork

_CRYPTO_NOTICE = """\
This product contains cryptographic features and is subject to United
States and local country laws governing import, export, transfer and
use. Delivery of Cisco cryptographic products does not imply
third-party authority to import, export, distribute or use encryption.
Importers, exporters, distributors and users are responsible for
compliance with U.S. and local country laws. By using this product you
agree to comply with applicable laws and regulations. If you are unable
to comply with U.S. and local laws, return this product immediately.

A summary of U.S. laws governing Cisco cryptographic products may be found at:
http://www.cisco.com/wwl/export/crypto/tool/stqrg.html

If you require further assistance please contact us by sending email to
export@cisco.com."""

_XE_NOTICE = """\
Cisco IOS-XE software, Copyright (c) 2005-2021 by cisco Systems, Inc.
All rights reserved.  Certain components of Cisco IOS-XE software are
licensed under the GNU General Public License ("GPL") Version 2.0.  The
software code licensed under GPL Version 2.0 is free software that comes
with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such
GPL code under the terms of GPL Version 2.0.  For more details, see the
documentation or "License Notice" file accompanying the IOS-XE software,
or the applicable URL provided on the flyer accompanying the IOS-XE
software."""

_XE_LICENSES = """\
Technology Package License Information:

-----------------------------------------------------------------
Technology    Technology-package           Technology-package
              Current       Type           Next reboot
------------------------------------------------------------------
appxk9           None             None             None
uck9             None             None             None
securityk9       securityk9       Permanent        securityk9
ipbase           ipbasek9         Permanent        ipbasek9"""


def show_version(network: LabNetwork, device: Device) -> str:
    """``show version`` as the device's software family prints it."""
    platform = platform_of(device)
    up = uptime(network.clock() - device.booted_at)
    reloaded = device.booted_at > min(device.saved_at, network.started_at + 60)
    reason = "Reload Command" if reloaded else _power_on(platform)
    lines: list[str] = []
    if platform.family == "iosxe-router":
        lines.append(f"Cisco IOS XE Software, Version {xe_version(device.os_version)}")
    lines += platform.software_banner(device.os_version)
    if platform.family == "iosxe-router":
        lines += ["", "", _XE_NOTICE, "", ""]
    else:
        lines.append("")
    lines.append(f"ROM: {platform.rom}")
    if platform.family == "ios-switch":
        family = platform.image_family.split("-")[0]
        lines.append(
            f"BOOTLDR: {family} Boot Loader ({family}-HBOOT-M) Version 15.2(7r)E1, RELEASE SOFTWARE (fc1)"
        )
    lines += ["", f"{device.hostname} uptime is {up}"]
    if platform.family == "iosxe-router":
        lines.append(f"Uptime for this control processor is {up}")
    lines += [
        f"System returned to ROM by {reason}",
        f"System restarted at {timestamp(device.booted_at)}",
        f'System image file is "{platform.image_file}"',
        f"Last reload reason: {reason}",
        "",
        "",
        "",
        _CRYPTO_NOTICE,
        "",
    ]
    if platform.family == "iosxe-router":
        lines += ["", "", _XE_LICENSES, ""]
    lines += _hardware(device, platform)
    return "\n".join(lines) + "\n"


def _power_on(platform: Platform) -> str:
    return "power-on" if platform.family == "ios-switch" else "PowerOn"


def _hardware(device: Device, platform: Platform) -> list[str]:
    ports = len(device.interfaces)
    lines = [f"cisco {platform.processor}.", f"Processor board ID {device.serial}"]
    if platform.family == "iosxe-router":
        return [
            *lines,
            f"{ports} Gigabit Ethernet interfaces",
            "32768K bytes of non-volatile configuration memory.",
            "4194304K bytes of physical memory.",
            "3223551K bytes of flash memory at bootflash:.",
            "0K bytes of WebUI ODM Files at webui:.",
            "",
            "Configuration register is 0x2102",
        ]
    if platform.family != "ios-switch":
        return [
            *lines,
            f"{ports} Gigabit Ethernet interfaces",
            "255K bytes of non-volatile configuration memory.",
            "",
            "Configuration register is 0x2102",
        ]
    mac = device.chassis_mac.upper()
    return [
        *lines,
        "Last reset from power-on",
        "1 Virtual Ethernet interface",
        f"{ports} Gigabit Ethernet interfaces",
        "The password-recovery mechanism is enabled.",
        "",
        "512K bytes of flash-simulated non-volatile configuration memory.",
        f"Base ethernet MAC Address       : {mac}",
        "Motherboard assembly number     : 73-15273-06",
        "Model revision number           : A0",
        "Motherboard revision number     : A0",
        f"Model number                    : {device.model}",
        f"System serial number            : {device.serial}",
        "Top Assembly Part Number        : 68-4792-04",
        "Top Assembly Revision Number    : A0",
        "Version ID                      : V04",
        "",
        "",
        "Switch Ports Model                     SW Version            SW Image",
        "------ ----- -----                     ----------            ----------",
        f"*    1 {ports:<5} {device.model:<25} {device.os_version:<21} {platform.image_family}",
        "",
        "",
        "Configuration register is 0xF",
    ]


def show_inventory(device: Device) -> str:
    """``show inventory``: NAME/DESCR and PID/VID/SN pairs separated by blank lines."""
    blocks = [
        f'NAME: "{item.name}", DESCR: "{item.descr}"\n'
        f"PID: {item.pid:<18}, VID: {item.vid:<4} , SN: {item.serial}"
        for item in platform_of(device).inventory(device)
    ]
    return "\n\n".join(blocks) + "\n\n"


def show_clock(network: LabNetwork) -> str:
    """``show clock``."""
    return clock(network.clock()) + "\n"

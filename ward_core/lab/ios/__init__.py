"""Simulated Cisco IOS devices over SSH: an IOS-like CLI on every device of a lab.

``SshDevicePool`` serves every device of a :class:`~ward_core.lab.model.LabNetwork` from one
asyncio process; ``render_running_config`` renders a device's running configuration on its own.
"""

from ward_core.lab.ios.running_config import render_running_config
from ward_core.lab.ios.server import SshDevicePool

__all__ = ["SshDevicePool", "render_running_config"]

"""First-party remediation actions for Cisco IOS-like devices (netmiko ``cisco_ios`` / ``cisco_xe``).

Loaded through the ``ios-actions`` entry point like any third-party plugin. Actions:

==========================  ===========  ==========================================================
``ios.interface_bounce``    destructive  shutdown, wait ``hold_s``, no shutdown; rollback: no shutdown
``ios.interface_enable``    destructive  no shutdown on a shut interface; rollback: shutdown
``ios.clear_counters``      no           clear counters of one interface
``ios.compliance_apply``    destructive  the compliance report's commands; rollback: hier_config's
``ios.save_config``         no           write memory
``ios.show``                no           one read-only show command (output redacted)
``ios.reload``              destructive  reload, then wait for the device and check its uptime
==========================  ===========  ==========================================================
"""

from __future__ import annotations

PLUGIN = "ios-actions"
PLATFORMS = ("cisco_ios", "cisco_xe")

"""The command line of one session, without sockets: modes, errors as IOS prints them, and changes
that reach the shared model."""

from __future__ import annotations

import pytest

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.cli import IosCli
from ward_core.lab.ios.running_config import render_running_config
from ward_core.lab.ios.state import IosState
from ward_core.lab.model import LabNetwork
from ward_core.lab.topology import build_network

CREDS = LabCredentials()


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_796_034_942.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def network(clock: ManualClock) -> LabNetwork:
    return build_network(6, 1, seed=3, clock=clock)


def session(network: LabNetwork, name: str = "br001-sw1", enabled: bool = True) -> IosCli:
    cli = IosCli(IosState(network, CREDS), network.device(name), CREDS.username)
    if enabled:
        run(cli, "enable", CREDS.enable_secret)
    return cli


def run(cli: IosCli, *lines: str) -> str:
    """Type ``lines`` and return what the device printed, prompts included (as on a terminal)."""
    shown = []
    for line in lines:
        prompt = cli.prompt
        reply = cli.execute(line)
        echo = "" if prompt == "Password: " else line
        shown.append(f"{prompt}{echo}\n{reply.output}")
    return "".join(shown)


def test_login_lands_in_user_exec_and_enable_asks_for_the_secret(network: LabNetwork) -> None:
    cli = session(network, enabled=False)
    assert cli.prompt == "br001-sw1>"
    assert cli.execute("enable").output == ""
    assert (cli.prompt, cli.input_kind) == ("Password: ", "secret")
    cli.execute(CREDS.enable_secret)
    assert cli.prompt == "br001-sw1#"


def test_a_wrong_enable_secret_three_times_is_refused(network: LabNetwork) -> None:
    cli = session(network, enabled=False)
    assert run(cli, "enable", "a", "b", "c") == (
        "br001-sw1>enable\nPassword: \nPassword: \nPassword: \n% Bad secrets\n\n"
    )
    assert cli.prompt == "br001-sw1>"


def test_invalid_input_puts_the_caret_under_the_bad_word(network: LabNetwork) -> None:
    cli = session(network)
    assert run(cli, "show interfaces frobnicate") == (
        "br001-sw1#show interfaces frobnicate\n"
        "                          ^\n"
        "% Invalid input detected at '^' marker.\n\n"
    )


def test_incomplete_and_ambiguous_commands(network: LabNetwork) -> None:
    cli = session(network)
    assert cli.execute("show ip").output == "% Incomplete command.\n\n"
    assert cli.execute("c").output == '% Ambiguous command:  "c"\n'


def test_an_unknown_word_in_exec_mode_is_tried_as_a_host_name(network: LabNetwork) -> None:
    cli = session(network, enabled=False)
    assert cli.execute("frobnicate").output == (
        'Translating "frobnicate"\n% Unknown command or computer name, or unable to find computer address\n'
    )
    assert (
        run(cli, "conf t")
        == "br001-sw1>conf t\n               ^\n% Invalid input detected at '^' marker.\n\n"
    )


def test_shutdown_goes_through_the_model_and_reaches_the_neighbour(
    network: LabNetwork, clock: ManualClock
) -> None:
    cli = session(network)
    switch, router = network.device("br001-sw1"), network.device("br001-rtr1")
    uplink = switch.interface("Gi1/0/28")
    assert "br001-sw1" in [n.remote.name for n in network.neighbours(router)]
    clock.now += 60
    out = run(cli, "conf t", "int gi1/0/28", "shut", "end")
    assert out == (
        "br001-sw1#conf t\nEnter configuration commands, one per line.  End with CNTL/Z.\n"
        "br001-sw1(config)#int gi1/0/28\n"
        "br001-sw1(config-if)#shut\n"
        "br001-sw1(config-if)#end\n"
    )
    assert uplink.admin_up is False
    assert "br001-sw1" not in [n.remote.name for n in network.neighbours(router)]
    assert switch.config_changed_by == CREDS.username
    assert switch.config_changed_at == clock.now
    assert switch.unsaved_changes
    run(cli, "configure terminal", "interface GigabitEthernet1/0/28", "no shutdown", "exit", "exit")
    assert uplink.admin_up is True
    assert "br001-sw1" in [n.remote.name for n in network.neighbours(router)]


def test_description_hostname_and_global_lines_show_in_the_running_config(network: LabNetwork) -> None:
    cli = session(network)
    run(
        cli,
        "configure terminal",
        "interface Gi1/0/7",
        "description  core  uplink ",
        "hostname edge-7",
        "ntp server 192.0.2.10",
        "ip http server",
        "no snmp-server community ward-lab-ro",
    )
    assert cli.prompt == "edge-7(config)#"
    config = render_running_config(network, network.device("br001-sw1"), CREDS)
    assert "interface GigabitEthernet1/0/7\n description core  uplink\n" in config
    assert "\nhostname edge-7\n" in config
    assert "\nntp server 192.0.2.10\n" in config
    assert "\nip http server\n" in config and "no ip http server" not in config
    assert "snmp-server community" not in config
    run(cli, "no ntp server 192.0.2.10", "no ip http server", "snmp-server community ward-lab-ro RO")
    config = render_running_config(network, network.device("br001-sw1"), CREDS)
    assert "192.0.2.10" not in config
    assert "\nno ip http server\n" in config
    assert "\nsnmp-server community ward-lab-ro RO\n" in config


def test_global_command_in_interface_mode_leaves_interface_mode(network: LabNetwork) -> None:
    cli = session(network)
    run(cli, "conf t", "int gi1/0/3", "hostname sw-new")
    assert cli.prompt == "sw-new(config)#"
    assert cli.iface is None


def test_do_runs_exec_commands_from_configuration_mode(network: LabNetwork) -> None:
    cli = session(network)
    run(cli, "conf t", "int gi1/0/3")
    assert cli.execute("do show ip interface brief | include 1/0/3 ").output.startswith(
        "GigabitEthernet1/0/3 "
    )
    out = run(cli, "do show versoin")
    assert out.splitlines()[1] == " " * len("br001-sw1(config-if)#do show vers") + "^"


def test_interface_ip_address_on_routers_only(network: LabNetwork) -> None:
    router = session(network, "br001-rtr1")
    run(router, "conf t", "int gi0/1/5", "ip address 10.1.2.1 255.255.255.252")
    assert network.device("br001-rtr1").interface("Gi0/1/5").ipv4 == ("10.1.2.1", "255.255.255.252")
    assert (
        router.execute("ip address 10.1.2.1 255.0.255.0").output
        == "Bad mask 0xFF00FF00 for address 10.1.2.1\n"
    )
    switch = session(network)
    run(switch, "conf t", "int gi1/0/5")
    assert "% Invalid input detected" in switch.execute("ip address 10.1.2.1 255.255.255.0").output


def test_write_memory_keeps_the_saved_text_for_startup_config(
    network: LabNetwork, clock: ManualClock
) -> None:
    cli = session(network)
    device = network.device("br001-sw1")
    assert cli.execute("write memory").output == "Building configuration...\n[OK]\n"
    assert device.unsaved_changes is False
    run(cli, "conf t", "int gi1/0/9", "description after the save", "end")
    startup = cli.execute("show startup-config").output
    assert startup.startswith("Using ")
    assert "after the save" not in startup
    assert "after the save" in cli.execute("show running-config").output
    assert run(cli, "copy running-config startup-config", "") == (
        "br001-sw1#copy running-config startup-config\n"
        "Destination filename [startup-config]? \nBuilding configuration...\n[OK]\n"
    )
    assert "after the save" in cli.execute("show startup-config").output


def test_clear_counters_asks_and_zeroes_only_the_cli_view(network: LabNetwork, clock: ManualClock) -> None:
    cli = session(network)
    device = network.device("br001-sw1")
    iface = device.interface("Gi1/0/1")
    clock.now += 300
    before = network.counters(iface).in_octets
    assert cli.execute("clear counters").output == ""
    assert cli.prompt == 'Clear "show interface" counters on all interfaces [confirm]'
    assert cli.input_kind == "key"
    cli.execute("\r")
    clock.now += 10
    shown = cli.execute("show interfaces gi1/0/1").output
    assert 'Last clearing of "show interface" counters 00:00:10' in shown
    live = network.counters(iface).in_octets
    assert live > before
    cleared_bytes = int(shown.split(" packets input, ")[1].split(" bytes")[0])
    assert 0 < cleared_bytes < live - before + 1


def test_reload_asks_to_save_then_to_confirm_and_reboots(network: LabNetwork, clock: ManualClock) -> None:
    cli = session(network)
    device = network.device("br001-sw1")
    run(cli, "conf t", "int gi1/0/9", "description changed", "end")
    clock.now += 3600
    assert cli.execute("reload").output == ""
    assert cli.prompt == "System configuration has been modified. Save? [yes/no]: "
    assert cli.execute("maybe").output == "% Please answer 'yes' or 'no'.\n"
    assert cli.execute("no").output == ""
    assert cli.prompt == "Proceed with reload? [confirm]"
    reply = cli.execute("\r")
    assert reply.close
    assert device.booted_at == clock.now
    assert "System returned to ROM by Reload Command" in session(network).execute("show version").output


def test_reload_cancelled_keeps_the_session(network: LabNetwork) -> None:
    cli = session(network)
    cli.execute("reload")
    reply = cli.execute("n")
    assert not reply.close
    assert cli.prompt == "br001-sw1#"


def test_output_modifiers(network: LabNetwork) -> None:
    cli = session(network)
    assert cli.execute("show running-config | include ^hostname").output == "hostname br001-sw1\n"
    section = cli.execute("sh run | section GigabitEthernet1/0/28").output
    assert section.splitlines() == [
        "interface GigabitEthernet1/0/28",
        " description to br001-rtr1",
        " switchport mode trunk",
    ]
    assert "% Invalid input" in cli.execute("configure terminal | include x").output


def test_exit_from_exec_ends_the_session(network: LabNetwork) -> None:
    cli = session(network)
    assert cli.execute("exit").close

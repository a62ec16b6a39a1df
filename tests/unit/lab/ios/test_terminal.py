"""The vty: echo in the order IOS produces it (typed-ahead input included), editing keys, paging,
``[confirm]`` keys and per-command delay."""

from __future__ import annotations

import asyncio
import re
import time

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.cli import IosCli
from ward_core.lab.ios.state import IosState
from ward_core.lab.ios.terminal import MORE, Terminal
from ward_core.lab.topology import build_network

CREDS = LabCredentials()


class Screen:
    """What a client receives, and whether the device hung up."""

    def __init__(self) -> None:
        self.text = ""
        self.closed = False

    def write(self, text: str) -> None:
        self.text += text

    def close(self) -> None:
        self.closed = True


def typed(chunks: list[str], *, enabled: bool = True, delay_ms: int = 0) -> tuple[Screen, Terminal]:
    """Feed ``chunks`` (each one network read) to a fresh session on br001-sw1."""
    network = build_network(6, 1, seed=3)
    device = network.device("br001-sw1")
    device.reply_delay_ms = delay_ms
    cli = IosCli(IosState(network, CREDS), device, CREDS.username)
    if enabled:
        cli.execute("enable")
        cli.execute(CREDS.enable_secret)
    screen = Screen()
    terminal = Terminal(cli, screen.write, screen.close)

    async def play() -> None:
        terminal.start()
        for chunk in chunks:
            terminal.feed(chunk)
            await asyncio.sleep(0)
        while terminal._task is not None and not terminal._task.done():
            await asyncio.sleep(0.01)

    asyncio.run(play())
    return screen, terminal


def test_typed_ahead_lines_are_echoed_after_the_previous_prompt() -> None:
    screen, _ = typed(["terminal length 0\nterminal width 511\n\nshow clock\n"])
    lines = screen.text.split("\r\n")
    assert lines[:4] == ["", "br001-sw1#terminal length 0", "br001-sw1#terminal width 511", "br001-sw1#"]
    assert lines[4] == "br001-sw1#show clock"
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} UTC \w{3} \w{3} \d+ \d{4}", lines[5])
    assert lines[6] == "br001-sw1#"
    assert "br001-sw1#br001-sw1#" not in screen.text


def test_crlf_and_lf_and_cr_each_submit_one_line() -> None:
    screen, _ = typed(["\r\n", "\r", "\n", "\r", "\n"])
    assert screen.text == "\r\nbr001-sw1#" + "\r\nbr001-sw1#" * 3


def test_backspace_edits_and_escape_sequences_are_ignored() -> None:
    screen, _ = typed(["shoz\x7fw\x1b[A ver\x08\x08ersion | include uptime\r"])
    assert "\b \b" in screen.text
    assert "br001-sw1 uptime is" in screen.text
    assert "Invalid" not in screen.text


def test_the_enable_secret_is_not_echoed() -> None:
    screen, terminal = typed(["enable\n", CREDS.enable_secret + "\n"], enabled=False)
    assert CREDS.enable_secret not in screen.text
    assert screen.text.endswith("br001-sw1>enable\r\nPassword: \r\nbr001-sw1#")
    assert terminal.cli.mode == "privileged"


def test_long_output_pages_at_terminal_length() -> None:
    screen, _ = typed(["terminal length 10\nshow running-config\n"])
    assert screen.text.endswith(MORE)
    assert screen.text.count("\r\n") == 2 + 9 + 1
    screen, _ = typed(["terminal length 10\nshow running-config\n", " ", "q"])
    assert screen.text.count(MORE) == 2
    assert screen.text.endswith("br001-sw1#")


def test_confirm_takes_one_key_and_the_lf_after_cr_is_not_a_new_line() -> None:
    screen, _ = typed(["clear counters\r\n", "\r\n"])
    assert screen.text.endswith(
        'br001-sw1#clear counters\r\nClear "show interface" counters on all interfaces [confirm]'
        "\r\nbr001-sw1#"
    )


def test_ctrl_z_leaves_configuration_mode() -> None:
    screen, terminal = typed(["conf t\ninterface gi1/0/1\n\x1a"])
    assert screen.text.endswith("br001-sw1(config-if)#^Z\r\nbr001-sw1#")
    assert terminal.cli.mode == "privileged"


def test_exit_closes_the_session() -> None:
    screen, _ = typed(["exit\nshow version\n"])
    assert screen.closed
    assert "uptime" not in screen.text


def test_reply_delay_holds_each_command_and_its_echo_order() -> None:
    started = time.monotonic()
    screen, _ = typed(["show clock\nshow clock\n"], delay_ms=150)
    assert time.monotonic() - started >= 0.3
    assert screen.text.count("br001-sw1#show clock\r\n") == 2


def test_question_mark_lists_what_may_come_next_and_keeps_the_line() -> None:
    screen, _ = typed(["s?", "how ?", "clo?"])
    first, second, third = screen.text.split("?\r\n")[1:4]
    assert first == "send  setup  show  ssh  systat\r\nbr001-sw1#show "
    assert "  running-config\r\n" in second and "  version\r\n" in second
    assert second.endswith("\r\nbr001-sw1#show clo")
    assert third == "clock\r\nbr001-sw1#show clo"


def test_ctrl_u_erases_the_line() -> None:
    screen, _ = typed(["show nonsense\x15show clock\r"])
    assert "Invalid" not in screen.text
    assert "\b \b" * len("show nonsense") in screen.text

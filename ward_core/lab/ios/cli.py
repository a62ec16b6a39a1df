"""The IOS command line of one session: modes, prompts, questions, and what each command does.

Transport-free: the terminal feeds it whole answers (a line, a password, or one key for
``[confirm]``) and writes what it returns, so it is tested without sockets.

Modes and prompts: user exec ``host>``, privileged exec ``host#``, ``host(config)#`` and
``host(config-if)#``. A command typed in interface mode that only global configuration knows runs
there and leaves interface mode, as on IOS. Every configuration change goes through the shared model
and is recorded with :meth:`LabNetwork.mark_config_changed`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios import show_interfaces as interfaces_out
from ward_core.lab.ios import show_neighbours as neighbours_out
from ward_core.lab.ios import show_system as system_out
from ward_core.lab.ios.commands import (
    CONFIG_TREE,
    INTERFACE_ROUTER_TREE,
    INTERFACE_SWITCH_TREE,
    PRIVILEGED_EXEC_TREE,
    USER_EXEC_TREE,
)
from ward_core.lab.ios.grammar import Failure, Match, Node, help_for, match
from ward_core.lab.ios.pipes import FILTER_TREE, apply_filter
from ward_core.lab.ios.platform import platform_of
from ward_core.lab.ios.running_config import covers, interface_section, render_running_config
from ward_core.lab.ios.state import IosState
from ward_core.lab.model import Device, Interface

USER, PRIVILEGED, CONFIG, CONFIG_IF = "user", "privileged", "config", "config-if"
CONFIRM_KEYS = ("\r", "\n", "y", "Y")
ENABLE_TRIES = 3
_HOSTNAME = re.compile(r"^[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Reply:
    """Text to print (``\\n`` line ends) and whether the session ends after it."""

    output: str = ""
    close: bool = False


@dataclass(frozen=True)
class Question:
    """A prompt that wants an answer: a ``line``, a ``secret`` (not echoed) or one ``key``."""

    kind: str
    text: str
    answer: Callable[[str], Reply]


class IosCli:
    """One session's command line on one device."""

    def __init__(self, state: IosState, device: Device, username: str) -> None:
        self.state = state
        self.network = state.network
        self.credentials: LabCredentials = state.credentials
        self.device = device
        self.username = username
        self.mode = USER
        self.iface: Interface | None = None
        self.question: Question | None = None
        self.length = 24
        self.width = 80
        self._handlers: dict[str, Callable[[Match, str, str], Reply]] = {
            name.removeprefix("_do_"): getattr(self, name) for name in dir(self) if name.startswith("_do_")
        }

    # --- what the terminal asks -----------------------------------------------------------
    @property
    def prompt(self) -> str:
        """What to print before reading the next input."""
        if self.question is not None:
            return self.question.text
        host = self.device.hostname
        if self.mode == USER:
            return f"{host}>"
        if self.mode == PRIVILEGED:
            return f"{host}#"
        return f"{host[:20]}({self.mode})#"

    @property
    def input_kind(self) -> str:
        """``line``, ``secret`` (read a line, do not echo) or ``key`` (one keystroke)."""
        return self.question.kind if self.question is not None else "line"

    def execute(self, text: str) -> Reply:
        """Answer a pending question, or run one command line."""
        if self.question is not None:
            question, self.question = self.question, None
            return question.answer(text)
        if not text.strip():
            return Reply()
        return self._run(text, self.prompt, 0, self._tree())

    def help(self, text: str) -> str:
        """What ``?`` prints after ``text`` has been typed (``\n`` line ends)."""
        words = help_for(self._tree(), text, self.device)
        if words is None:
            return "% Unrecognized command\n"
        if text and not text[-1].isspace():
            return "  ".join(words) + "\n" if words else "% Unrecognized command\n"
        return "".join(f"  {word}\n" for word in words)

    def interrupt(self) -> Reply:
        """Ctrl-C / Ctrl-Z: drop any question and leave configuration mode."""
        self.question = None
        if self.mode in (CONFIG, CONFIG_IF):
            self.mode, self.iface = PRIVILEGED, None
        return Reply()

    # --- parsing --------------------------------------------------------------------------
    def _tree(self) -> Node:
        if self.mode == USER:
            return USER_EXEC_TREE
        if self.mode == PRIVILEGED:
            return PRIVILEGED_EXEC_TREE
        if self.mode == CONFIG:
            return CONFIG_TREE
        return INTERFACE_ROUTER_TREE if platform_of(self.device).is_router else INTERFACE_SWITCH_TREE

    def _run(self, line: str, prompt: str, start: int, tree: Node) -> Reply:
        bar = line.find("|", start)
        if bar >= 0:
            return self._run_filtered(line, bar, prompt, start, tree)
        result = match(tree, line, self.device, start)
        if isinstance(result, Failure) and self.mode == CONFIG_IF and tree is not PRIVILEGED_EXEC_TREE:
            fallback = match(CONFIG_TREE, line, self.device, start)
            if isinstance(fallback, Match):
                self.mode, self.iface = CONFIG, None
                result = fallback
        if isinstance(result, Failure):
            return Reply(self._failure(result, line, prompt, start, tree))
        return self._handlers[result.action](result, line, prompt)

    def _run_filtered(self, line: str, bar: int, prompt: str, start: int, tree: Node) -> Reply:
        """``show ... | include REGEX`` and the other output modifiers."""
        result = match(tree, line[:bar], self.device, start)
        if isinstance(result, Failure):
            return Reply(self._failure(result, line, prompt, start, tree))
        if result.action == "do":
            return self._run(line, prompt, result.rest_column, PRIVILEGED_EXEC_TREE)
        if not result.action.startswith("show_"):
            return Reply(self._failure(Failure("invalid", bar), line, prompt, start, tree))
        modifier = match(FILTER_TREE, line, self.device, bar + 1)
        if isinstance(modifier, Failure):
            return Reply(self._failure(modifier, line, prompt, start, FILTER_TREE))
        reply = self._handlers[result.action](result, line[:bar], prompt)
        expression = modifier.arguments[0] if modifier.arguments else ""
        return Reply(apply_filter(modifier.action, expression, reply.output), reply.close)

    def _failure(self, failure: Failure, line: str, prompt: str, start: int, tree: Node) -> str:
        if failure.kind == "ambiguous":
            return f'% Ambiguous command:  "{line.strip()}"\n'
        if failure.kind == "incomplete":
            return "% Incomplete command.\n\n"
        column = failure.column
        exec_tree = tree in (USER_EXEC_TREE, PRIVILEGED_EXEC_TREE)
        if failure.first_word and exec_tree:
            words = line[start:].split()
            if len(words) == 1:
                return (
                    f'Translating "{words[0]}"\n'
                    "% Unknown command or computer name, or unable to find computer address\n"
                )
            column = line.index(words[1], line.index(words[0]) + len(words[0]))
        return f"{' ' * (len(prompt) + column)}^\n% Invalid input detected at '^' marker.\n\n"

    def _changed(self) -> None:
        self.network.mark_config_changed(self.device, by=self.username)

    # --- exec -----------------------------------------------------------------------------
    def _do_show_version(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(system_out.show_version(self.network, self.device))

    def _do_show_clock(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(system_out.show_clock(self.network))

    def _do_show_inventory(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(system_out.show_inventory(self.device))

    def _do_show_interfaces(self, m: Match, line: str, prompt: str) -> Reply:
        only = m.interfaces[0] if m.interfaces else None
        return Reply(interfaces_out.show_interfaces(self.state, self.device, only))

    def _do_show_interfaces_description(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(interfaces_out.show_interfaces_description(self.device))

    def _do_show_ip_interface_brief(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(interfaces_out.show_ip_interface_brief(self.device))

    def _do_show_lldp_neighbors(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(neighbours_out.show_lldp_neighbors(self.network, self.device))

    def _do_show_lldp_neighbors_detail(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(neighbours_out.show_lldp_neighbors_detail(self.network, self.device))

    def _do_show_cdp_neighbors(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(neighbours_out.show_cdp_neighbors(self.network, self.device))

    def _do_show_cdp_neighbors_detail(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(neighbours_out.show_cdp_neighbors_detail(self.network, self.device))

    def _do_show_running_config(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(render_running_config(self.network, self.device, self.credentials))

    def _do_show_running_interface(self, m: Match, line: str, prompt: str) -> Reply:
        body = "\n".join(["!", *interface_section(m.interfaces[0], platform_of(self.device))[:-1], "end"])
        body += "\n"
        return Reply(
            f"Building configuration...\n\nCurrent configuration : {len(body.encode())} bytes\n{body}\n"
        )

    def _do_show_startup_config(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(self.state.startup_config(self.device))

    def _do_enable(self, m: Match, line: str, prompt: str) -> Reply:
        if self.mode == USER:
            self._ask_enable(1)
        return Reply()

    def _ask_enable(self, attempt: int) -> None:
        def answer(secret: str) -> Reply:
            if secret == self.credentials.enable_secret:
                self.mode = PRIVILEGED
                return Reply()
            if attempt < ENABLE_TRIES:
                self._ask_enable(attempt + 1)
                return Reply()
            return Reply("% Bad secrets\n\n")

        self.question = Question("secret", "Password: ", answer)

    def _do_disable(self, m: Match, line: str, prompt: str) -> Reply:
        self.mode = USER
        return Reply()

    def _do_logout(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(close=True)

    def _do_terminal_length(self, m: Match, line: str, prompt: str) -> Reply:
        self.length = int(m.arguments[0])
        return Reply()

    def _do_terminal_width(self, m: Match, line: str, prompt: str) -> Reply:
        self.width = int(m.arguments[0])
        return Reply()

    def _do_terminal_monitor(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply()

    def _do_configure(self, m: Match, line: str, prompt: str) -> Reply:
        def answer(text: str) -> Reply:
            choice = text.strip().lower()
            if "terminal".startswith(choice):
                return self._enter_config()
            if choice and ("memory".startswith(choice) or "network".startswith(choice)):
                return Reply("% Not supported on this device\n")
            return Reply('?Must be "terminal", "memory" or "network"\n')

        self.question = Question("line", "Configuring from terminal, memory, or network [terminal]? ", answer)
        return Reply()

    def _do_configure_terminal(self, m: Match, line: str, prompt: str) -> Reply:
        return self._enter_config()

    def _enter_config(self) -> Reply:
        self.state.entering_configuration(self.device)
        self.mode = CONFIG
        return Reply("Enter configuration commands, one per line.  End with CNTL/Z.\n")

    def _save(self) -> str:
        self.state.save(self.device)
        return "Building configuration...\n[OK]\n"

    def _do_write_memory(self, m: Match, line: str, prompt: str) -> Reply:
        return Reply(self._save())

    def _do_copy_run_start(self, m: Match, line: str, prompt: str) -> Reply:
        def answer(text: str) -> Reply:
            name = text.strip() or "startup-config"
            if name != "startup-config":
                return Reply(f"%Error opening nvram:/{name} (Permission denied)\n")
            return Reply(self._save())

        self.question = Question("line", "Destination filename [startup-config]? ", answer)
        return Reply()

    def _do_clear_counters(self, m: Match, line: str, prompt: str) -> Reply:
        chosen = list(m.interfaces)
        where = "this interface" if chosen else "all interfaces"

        def answer(key: str) -> Reply:
            if key in CONFIRM_KEYS:
                self.state.clear_counters(self.device, chosen or None)
            return Reply("\n")

        self.question = Question("key", f'Clear "show interface" counters on {where} [confirm]', answer)
        return Reply()

    def _do_reload(self, m: Match, line: str, prompt: str) -> Reply:
        if self.device.unsaved_changes:
            self._ask_save_before_reload()
        else:
            self._ask_reload()
        return Reply()

    def _ask_save_before_reload(self) -> None:
        def answer(text: str) -> Reply:
            choice = text.strip().lower()
            if choice and "yes".startswith(choice):
                saved = self._save()
                self._ask_reload()
                return Reply(saved)
            if choice and "no".startswith(choice):
                self._ask_reload()
                return Reply()
            self._ask_save_before_reload()
            return Reply("% Please answer 'yes' or 'no'.\n")

        self.question = Question("line", "System configuration has been modified. Save? [yes/no]: ", answer)

    def _ask_reload(self) -> None:
        def answer(key: str) -> Reply:
            if key not in CONFIRM_KEYS:
                return Reply("\n")
            self.network.reboot(self.device)
            return Reply("\n", close=True)

        self.question = Question("key", "Proceed with reload? [confirm]", answer)

    # --- configuration --------------------------------------------------------------------
    def _do_interface(self, m: Match, line: str, prompt: str) -> Reply:
        self.mode, self.iface = CONFIG_IF, m.interfaces[0]
        return Reply()

    def _do_exit(self, m: Match, line: str, prompt: str) -> Reply:
        if self.mode == CONFIG_IF:
            self.mode, self.iface = CONFIG, None
        else:
            self.mode = PRIVILEGED
        return Reply()

    def _do_end(self, m: Match, line: str, prompt: str) -> Reply:
        self.mode, self.iface = PRIVILEGED, None
        return Reply()

    def _do_do(self, m: Match, line: str, prompt: str) -> Reply:
        return self._run(line, prompt, m.rest_column, PRIVILEGED_EXEC_TREE)

    def _do_hostname(self, m: Match, line: str, prompt: str) -> Reply:
        name = m.arguments[0]
        if not _HOSTNAME.match(name):
            return Reply("% Hostname contains one or more illegal characters.\n")
        self.device.hostname = name
        self._changed()
        return Reply()

    def _do_domain(self, m: Match, line: str, prompt: str) -> Reply:
        self.device.domain = m.arguments[0]
        self._changed()
        return Reply()

    def _do_global_line(self, m: Match, line: str, prompt: str) -> Reply:
        negate = m.words[0] == "no"
        words = list(m.words[1:] if negate else m.words)
        if words[:2] == ["snmp-server", "community"] and not negate and len(words) == 3:
            words.append("RO")
        command = " ".join(words)
        extra = self.device.extra_config
        if negate:
            kept = [existing for existing in extra if not covers(command, existing)]
            if len(kept) == len(extra) and f"no {command}" not in extra:
                kept.append(f"no {command}")
            extra[:] = kept
        elif f"no {command}" in extra:
            extra.remove(f"no {command}")
        elif command not in extra:
            extra.append(command)
        self._changed()
        return Reply()

    def _interface(self) -> Interface:
        assert self.iface is not None, "interface commands only run in interface mode"
        return self.iface

    def _do_description(self, m: Match, line: str, prompt: str) -> Reply:
        self._interface().description = m.arguments[0][:240]
        self._changed()
        return Reply()

    def _do_no_description(self, m: Match, line: str, prompt: str) -> Reply:
        self._interface().description = ""
        self._changed()
        return Reply()

    def _do_protocol_run(self, m: Match, line: str, prompt: str) -> Reply:
        """``[no] lldp run`` / ``[no] cdp run``: neighbours forget or re-learn the device."""
        negate = m.words[0] == "no"
        protocol = m.words[1] if negate else m.words[0]
        self.network.set_protocol(self.device, protocol, not negate)
        self._changed()
        return Reply()

    def _do_shutdown(self, m: Match, line: str, prompt: str) -> Reply:
        self.network.set_admin(self.device, self._interface(), False)
        self._changed()
        return Reply()

    def _do_no_shutdown(self, m: Match, line: str, prompt: str) -> Reply:
        self.network.set_admin(self.device, self._interface(), True)
        self._changed()
        return Reply()

    def _do_ip_address(self, m: Match, line: str, prompt: str) -> Reply:
        address, mask = m.arguments
        try:
            ipaddress.IPv4Network(f"0.0.0.0/{mask}")
        except ValueError:
            return Reply(f"Bad mask 0x{int(ipaddress.IPv4Address(mask)):X} for address {address}\n")
        self._interface().ipv4 = (address, mask)
        self._changed()
        return Reply()

    def _do_no_ip_address(self, m: Match, line: str, prompt: str) -> Reply:
        self._interface().ipv4 = None
        self._changed()
        return Reply()

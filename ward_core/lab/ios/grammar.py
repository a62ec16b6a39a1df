"""IOS command matching: keywords abbreviated to any unique prefix, typed arguments, IOS's errors.

A mode's commands are written as patterns (``"show interfaces IFACE"``, ``"terminal length
<0-512>"``) and compiled into a tree. Matching walks the tree one token at a time:

* a keyword matches exactly, or by a prefix no other keyword at that point shares (``sh`` → ``show``);
  a prefix shared by several keywords is ambiguous (``% Ambiguous command:  "c"``);
* otherwise an argument may take it: ``<low-high>`` a number in range, ``A.B.C.D`` an IPv4 address,
  ``IFACE`` an interface of the device (``gi0/0/1``, ``Gi 0/0/1``, ``GigabitEthernet0/0/1``),
  ``WORD`` any one token, ``LINE`` the rest of the line as typed;
* a token nothing takes is invalid, and the caret goes where IOS puts it: under the first character
  that no keyword continues (``show vlan brif`` → under the ``i``);
* input that ends before a command is complete is ``% Incomplete command.``

A pattern whose action is ``None`` is a keyword IOS has but the lab does not implement: it makes
abbreviations exactly as ambiguous as on IOS, and using it is reported as invalid input.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ward_core.lab.model import Device, Interface

INTERFACE_TYPES = (
    "GigabitEthernet",
    "TenGigabitEthernet",
    "FastEthernet",
    "Loopback",
    "Null",
    "Port-channel",
    "Tunnel",
    "Vlan",
    "Virtual-Template",
)
_ARGUMENT = re.compile(r"^(<\d+-\d+>|A\.B\.C\.D|IFACE|WORD|LINE)$")
_IFACE_TOKEN = re.compile(r"^([A-Za-z][A-Za-z-]*?)(\d[\d/.:]*)?$")


@dataclass
class Node:
    """One keyword or argument of the command tree."""

    token: str
    children: list[Node] = field(default_factory=list)
    action: str | None = None
    terminal: bool = False

    @property
    def is_argument(self) -> bool:
        return bool(_ARGUMENT.match(self.token))

    def child(self, token: str) -> Node:
        for existing in self.children:
            if existing.token == token:
                return existing
        created = Node(token)
        self.children.append(created)
        return created


def compile_commands(commands: Iterable[tuple[str, str | None]]) -> Node:
    """The tree of ``(pattern, action)`` pairs; an action ``None`` marks an unimplemented keyword."""
    root = Node("")
    for pattern, action in commands:
        node = root
        for token in pattern.split():
            node = node.child(token)
        node.action = action
        node.terminal = True
    return root


@dataclass(frozen=True)
class Match:
    """A complete command: its action, the keywords as IOS spells them, argument values, the
    interfaces named, where a ``LINE`` argument starts (-1 when there is none), and every word in
    order (keywords spelled in full, arguments as typed)."""

    action: str
    keywords: tuple[str, ...]
    arguments: tuple[str, ...]
    interfaces: tuple[Interface, ...]
    rest_column: int = -1
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failure:
    """Why a line is not a command: ``invalid`` (with ``column``), ``incomplete`` or ``ambiguous``.

    ``first_word`` is True when the very first token matched nothing (exec mode then tries it
    as a host name, as IOS does).
    """

    kind: str
    column: int = 0
    first_word: bool = False


@dataclass(frozen=True)
class _Token:
    text: str
    start: int


def _tokens(line: str) -> list[_Token]:
    return [_Token(m.group(), m.start()) for m in re.finditer(r"\S+", line)]


def match(root: Node, line: str, device: Device, start: int = 0) -> Match | Failure:
    """Match ``line`` (from column ``start``) against the tree; columns count from the line start."""
    tokens = [t for t in _tokens(line) if t.start >= start]
    node = root
    keywords: list[str] = []
    arguments: list[str] = []
    interfaces: list[Interface] = []
    words: list[str] = []
    rest_column = -1
    index = 0
    while index < len(tokens):
        token = tokens[index]
        keyword = _keyword(node.children, token.text)
        if keyword == "ambiguous":
            return Failure("ambiguous", token.start)
        if isinstance(keyword, Node):
            if keyword.action is None and keyword.terminal:
                following = tokens[index + 1] if index + 1 < len(tokens) else None
                if following is None:
                    return Failure("incomplete")
                return Failure("invalid", following.start)
            node = keyword
            keywords.append(keyword.token)
            words.append(keyword.token)
            index += 1
            continue
        taken = _argument(node.children, tokens, index, line, device)
        if taken is None:
            return Failure("invalid", _caret(node.children, token), first_word=index == 0)
        node, value, used, iface = taken
        arguments.append(value)
        words.append(value)
        if iface is not None:
            interfaces.append(iface)
        if node.token == "LINE":
            rest_column = token.start
            index = len(tokens)
        else:
            index += used
    if node.action is None:
        return Failure("incomplete")
    return Match(node.action, tuple(keywords), tuple(arguments), tuple(interfaces), rest_column, tuple(words))


def _keyword(children: Sequence[Node], text: str) -> Node | str | None:
    lowered = text.lower()
    words = [c for c in children if not c.is_argument]
    for candidate in words:
        if candidate.token.lower() == lowered:
            return candidate
    found = [c for c in words if c.token.lower().startswith(lowered)]
    if len(found) > 1:
        return "ambiguous"
    return found[0] if found else None


def _argument(
    children: Sequence[Node], tokens: list[_Token], index: int, line: str, device: Device
) -> tuple[Node, str, int, Interface | None] | None:
    token = tokens[index]
    for child in children:
        kind = child.token
        if kind.startswith("<"):
            low, high = (int(x) for x in kind[1:-1].split("-"))
            if token.text.isdigit() and low <= int(token.text) <= high:
                return child, token.text, 1, None
        elif kind == "A.B.C.D":
            try:
                ipaddress.IPv4Address(token.text)
            except ValueError:
                continue
            return child, token.text, 1, None
        elif kind == "IFACE":
            found = resolve_interface(device, [t.text for t in tokens[index : index + 2]])
            if isinstance(found, tuple):
                return child, found[0].name, found[1], found[0]
        elif kind == "WORD":
            return child, token.text, 1, None
        elif kind == "LINE":
            return child, line[token.start :].rstrip(), 1, None
    return None


def _caret(children: Sequence[Node], token: _Token) -> int:
    """Column of the first character of ``token`` that no keyword here continues."""
    lowered = token.text.lower()
    best = 0
    for child in children:
        if child.is_argument:
            if child.token == "IFACE":
                best = max(best, _interface_caret(lowered))
            continue
        common = 0
        for a, b in zip(lowered, child.token.lower(), strict=False):
            if a != b:
                break
            common += 1
        best = max(best, common)
    return token.start + min(best, len(token.text) - 1)


def _interface_caret(text: str) -> int:
    found = _IFACE_TOKEN.match(text)
    if not found or not _interface_types(found.group(1)):
        return 0
    return len(found.group(1))


def _interface_types(prefix: str) -> list[str]:
    lowered = prefix.lower()
    return [name for name in INTERFACE_TYPES if name.lower().startswith(lowered)]


def resolve_interface(device: Device, words: Sequence[str]) -> tuple[Interface, int] | None:
    """The interface named by ``words[0]`` (``gi0/0/1``) or ``words[0:2]`` (``gi 0/0/1``), and how
    many words that took; None when the device has no such interface.

    Type names abbreviate to any prefix only one type starts with, in any case, as on IOS.
    """
    if not words:
        return None
    found = _IFACE_TOKEN.match(words[0])
    if not found:
        return None
    types = _interface_types(found.group(1))
    if len(types) != 1:
        return None
    number, used = found.group(2), 1
    if number is None:
        if len(words) < 2 or not re.fullmatch(r"\d[\d/.:]*", words[1]):
            return None
        number, used = words[1], 2
    iface = device.interfaces.get(types[0] + number)
    return (iface, used) if iface is not None else None


def help_for(root: Node, text: str, device: Device) -> list[str] | None:
    """What ``?`` lists after ``text``: the words that may come next (or that complete the word
    being typed), ``<cr>`` when the command could end there; None when ``text`` is already wrong.
    """
    tokens = _tokens(text)
    partial = "" if not text or text[-1].isspace() else tokens.pop().text.lower()
    node = root
    index = 0
    while index < len(tokens):
        keyword = _keyword(node.children, tokens[index].text)
        if isinstance(keyword, Node):
            node, index = keyword, index + 1
            continue
        if keyword == "ambiguous":
            return None
        taken = _argument(node.children, tokens, index, text, device)
        if taken is None:
            return None
        if taken[0].token == "LINE":
            return ["LINE", "<cr>"]
        node, index = taken[0], index + taken[2]
    if partial:
        return sorted(
            c.token for c in node.children if not c.is_argument and c.token.lower().startswith(partial)
        )
    words = sorted(c.token for c in node.children if not c.is_argument)
    arguments = [c.token for c in node.children if c.is_argument]
    if "IFACE" in arguments:
        arguments = [t for t in arguments if t != "IFACE"] + list(INTERFACE_TYPES)
    return [*words, *arguments, *(["<cr>"] if node.action is not None else [])]

"""A platform's backup rules, read from ``templates/<platform>/backup.yaml``: data, not code.

Adding a platform to configuration backup is adding that file (see ``templates/cisco_ios/backup.yaml``
for every field). The first-party ``backup-rules`` plugin serves the commands, redaction and noise
through the backup hooks; the backup service reads ``rejected`` and ``changed_by`` here too.

Every pattern is compiled when the file is read, so a bad regex is reported with the file, the
field and the line of the file it is on, before any device is contacted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

import ward_core
from ward_core.config import Settings
from ward_core.errors import ConfigError

RULES_FILE = "backup.yaml"
DEFAULT_PLACEHOLDER = "<redacted:{rule}>"
_FIELDS = ("commands", "rejected", "changed_by", "placeholder", "redact", "noise")


def templates_root(settings: Settings) -> Path:
    """The folder holding one sub-folder of templates per platform.

    ``Settings.templates_dir`` when set, else the ``templates/`` folder beside the ``ward_core``
    package (a source checkout or an editable install).
    """
    if settings.templates_dir is not None:
        return settings.templates_dir
    return Path(ward_core.__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True, slots=True)
class RedactRule:
    """Every named group of ``pattern`` is a secret, replaced by the rule's placeholder."""

    name: str
    pattern: re.Pattern[str]
    placeholder: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformRules:
    """What ``templates/<platform>/backup.yaml`` declares, compiled."""

    platform: str
    source: Path
    commands: tuple[str, ...]
    rejected: tuple[re.Pattern[str], ...] = ()
    changed_by: re.Pattern[str] | None = None
    redact: tuple[RedactRule, ...] = ()
    noise: tuple[re.Pattern[str], ...] = ()


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line of every scalar, to point errors at it."""


def _construct_scalar(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    value = loader.construct_scalar(node)
    if isinstance(value, str):
        return _Located(value, node.start_mark.line + 1)
    return value


class _Located(str):
    """A string from the YAML file, with the line it was on."""

    line: int

    def __new__(cls, value: str, line: int) -> _Located:
        made = super().__new__(cls, value)
        made.line = line
        return made


_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_scalar)


def _where(path: Path, value: object) -> str:
    return f"{path}:{value.line}" if isinstance(value, _Located) else str(path)


def _compile(path: Path, field: str, value: object) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{_where(path, value)}: field {field!r}: expected a regular expression")
    try:
        return re.compile(str(value), re.MULTILINE)
    except re.error as exc:
        raise ConfigError(f"{_where(path, value)}: field {field!r}: bad regular expression: {exc}") from None


def _strings(path: Path, field: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{path}: field {field!r}: expected a list of non-empty strings")
    return [str(v) for v in value]


def parse_rules(platform: str, path: Path, document: object) -> PlatformRules:
    """Check and compile one platform's rules; :class:`ConfigError` names the file, line and field."""
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping with {', '.join(_FIELDS)}")
    unknown = sorted(str(k) for k in document if k not in _FIELDS)
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {', '.join(unknown)} (known: {', '.join(_FIELDS)})")
    commands = _strings(path, "commands", document.get("commands"))
    if not commands:
        raise ConfigError(f"{path}: field 'commands': needs at least one command")
    placeholder = document.get("placeholder", DEFAULT_PLACEHOLDER)
    if not isinstance(placeholder, str) or not placeholder.strip():
        raise ConfigError(f"{path}: field 'placeholder': expected a non-empty string")
    redact_doc = document.get("redact") or {}
    if not isinstance(redact_doc, dict):
        raise ConfigError(f"{path}: field 'redact': expected a mapping of rule names to patterns")
    redact = []
    for name, raw in redact_doc.items():
        pattern = _compile(path, f"redact.{name}", raw)
        if not pattern.groupindex:
            raise ConfigError(
                f"{_where(path, raw)}: field 'redact.{name}': the pattern needs a named group "
                "(?P<value>...) around the secret"
            )
        redact.append(RedactRule(str(name), pattern, str(placeholder).replace("{rule}", str(name))))
    changed_by = document.get("changed_by")
    compiled_by = _compile(path, "changed_by", changed_by) if changed_by is not None else None
    if compiled_by is not None and "by" not in compiled_by.groupindex:
        raise ConfigError(f"{_where(path, changed_by)}: field 'changed_by': needs a group (?P<by>...)")
    return PlatformRules(
        platform=platform,
        source=path,
        commands=tuple(commands),
        rejected=tuple(
            _compile(path, "rejected", r) for r in _strings(path, "rejected", document.get("rejected", []))
        ),
        changed_by=compiled_by,
        redact=tuple(redact),
        noise=tuple(_compile(path, "noise", r) for r in _strings(path, "noise", document.get("noise", []))),
    )


@lru_cache(maxsize=64)
def _load(path: Path, platform: str, mtime_ns: int) -> PlatformRules:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else "?"
        raise ConfigError(f"{path}:{line}: YAML syntax error: {exc.problem}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_rules(platform, path, document)


def load_rules(root: Path, platform: str) -> PlatformRules | None:
    """The rules of ``platform`` under ``root``, or ``None`` when it has no ``backup.yaml``.

    Read once per file version (the cache key includes the file's modification time).
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", platform) or platform.startswith("."):
        return None
    path = root / platform / RULES_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    return _load(path, platform, mtime)

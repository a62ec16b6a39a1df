"""Backup hooks answered from the platform's ``backup.yaml`` (see :mod:`ward_core.backup.rules`).

Ordering against other plugins: ``ward_backup_commands`` is asked first (``tryfirst``), so a platform
with a rules file is collected with the commands that file lists, whatever fallback another plugin
offers. Redaction and normalisation are chains in which every plugin applies; this plugin's run
last (``trylast``) so that the placeholders stored are the ones the rules file declares, even after
a more generic redactor went over the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ward_core import hookimpl
from ward_core.backup.rules import PlatformRules, load_rules, templates_root
from ward_core.backup.text import drop_noise, redact
from ward_core.config import Settings


@dataclass
class _State:
    """Where the rules files are; set by ``ward_configure``."""

    root: Path | None = field(default=None)

    def rules(self, platform: str) -> PlatformRules | None:
        root = self.root if self.root is not None else templates_root(Settings.model_construct())
        return load_rules(root, platform)


STATE = _State()


@hookimpl
def ward_configure(settings: Settings) -> None:
    """Remember the templates folder the settings name."""
    STATE.root = templates_root(settings)


@hookimpl
def ward_unconfigure() -> None:
    """Forget the templates folder."""
    STATE.root = None


@hookimpl(tryfirst=True)
def ward_backup_commands(platform: str) -> list[str] | None:
    """The ``commands`` of the platform's rules file; None when it has none."""
    rules = STATE.rules(platform)
    return list(rules.commands) if rules is not None else None


@hookimpl(trylast=True)
def ward_backup_redact(platform: str, text: str) -> str | None:
    """Apply the platform's ``redact`` rules; None (unchanged) when it has no rules file."""
    rules = STATE.rules(platform)
    return redact(rules.redact, text) if rules is not None else None


@hookimpl(trylast=True)
def ward_backup_normalise(platform: str, text: str) -> str | None:
    """Drop the platform's ``noise`` lines; None (unchanged) when it has no rules file."""
    rules = STATE.rules(platform)
    return drop_noise(rules.noise, text) if rules is not None else None

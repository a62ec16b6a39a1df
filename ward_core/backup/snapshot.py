"""From collected text to what is stored: redacted, marked, normalised, addressed.

The order matters and is the same for every platform:

1. every plugin's redaction, chained (:meth:`WardPlugins.redact_backup`): from here on the text
   holds no secret, so anything may store, log or show it;
2. the platform's ``changed_by`` rule reads who changed the configuration (IOS prints it on a line
   that the next step removes);
3. every plugin's normalisation, chained: volatile lines go, so an unchanged device gives the same
   text, byte for byte;
4. the SHA-256 of that text is the version's address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ward_core.backup.rules import PlatformRules
from ward_core.backup.text import ChangeMark, change_mark, digest
from ward_core.errors import DeviceError
from ward_core.plugin_manager import WardPlugins


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A configuration ready to store: ``text`` (redacted, normalised), its ``digest`` and who the
    device says changed it."""

    text: str = field(repr=False)
    digest: str
    mark: ChangeMark


def snapshot(
    plugins: WardPlugins, rules: PlatformRules | None, *, device: str, platform: str, raw: str
) -> Snapshot:
    """Turn ``raw`` collected text into a :class:`Snapshot`.

    Raises :class:`~ward_core.errors.PluginError` when a redaction or normalisation plugin fails
    (the raw text is then dropped, never stored), :class:`~ward_core.errors.DeviceError` when
    nothing is left to store (an empty answer would otherwise erase the device's history).
    """
    redacted = plugins.redact_backup(platform, raw)
    mark = change_mark(rules, redacted) if rules is not None else ChangeMark(None, None)
    text = plugins.normalise_backup(platform, redacted)
    if not text.strip():
        raise DeviceError("the collected configuration is empty once normalised", device=device)
    if not text.endswith("\n"):
        text += "\n"
    return Snapshot(text, digest(text), mark)

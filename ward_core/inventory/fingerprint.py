"""Content hashes that let a re-import of an unchanged file skip every write.

>>> a = device_fingerprint({"name": "r1", "host": "10.0.0.1", "vars": {"b": 1, "a": 2}})
>>> b = device_fingerprint({"vars": {"a": 2, "b": 1}, "host": "10.0.0.1", "name": "r1"})
>>> a == b, len(a)
(True, 64)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ward_core.inventory.schema import DeviceSpec


def device_fingerprint(fields: dict[str, Any]) -> str:
    """SHA-256 of ``fields`` in canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def spec_fingerprint(spec: DeviceSpec) -> str:
    """The fingerprint of everything an inventory file says about one device."""
    return device_fingerprint(spec.model_dump(mode="json"))

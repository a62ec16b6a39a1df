"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<body>``, so a receiver can check that a
notice comes from ward and is fresh.

Headers: ``X-Ward-Timestamp`` (seconds since the epoch) and ``X-Ward-Signature: sha256=<hex>``.

>>> headers = sign(b"k", b'{"a": 1}', timestamp=1700000000)
>>> headers["X-Ward-Signature"][:14]
'sha256=bf91d5a'
>>> verify(b"k", b'{"a": 1}', headers, now=1700000010)
True
>>> verify(b"k", b'{"a": 2}', headers, now=1700000010)
False
>>> verify(b"k", b'{"a": 1}', headers, now=1700009999)  # too old: a replay
False
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Ward-Signature"
TIMESTAMP_HEADER = "X-Ward-Timestamp"
MAX_AGE_S = 300


def signature(key: bytes, body: bytes, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def sign(key: bytes, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers that sign ``body``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: signature(key, body, stamp)}


def verify(
    key: bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    now: float | None = None,
    max_age_s: int = MAX_AGE_S,
) -> bool:
    """True when ``headers`` sign ``body`` with ``key`` and are at most ``max_age_s`` old.

    Header names are matched without regard to case.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not stamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > max_age_s:
        return False
    return hmac.compare_digest(given, signature(key, body, int(stamp)))

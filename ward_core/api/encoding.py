"""One JSON answer body, encoded once: compact JSON, its weak ETag, and a gzip form when worth it.

Kept free of web-framework imports: the device-list cache (:mod:`ward_core.api.cache`) uses it, and
``ward inventory import`` imports that cache to drop it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from typing import Any

GZIP_LEVEL = 6
GZIP_MINIMUM_BYTES = 1024


def encode(data: Any) -> bytes:
    """``data`` as compact UTF-8 JSON (datetimes and other objects as their text).

    >>> encode({"b": 1, "a": "é"})
    b'{"b":1,"a":"\\xc3\\xa9"}'
    """
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def etag_of(body: bytes) -> str:
    """The weak ETag of ``body``.

    >>> etag_of(b"[]")
    'W/"4f53cda18c2baa0c0354bb5f9a3ecbe5"'
    """
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


@dataclass(frozen=True, slots=True)
class Encoded:
    """One answer body, plain and (when worth it) gzip-compressed, with its ETag."""

    plain: bytes
    etag: str
    gzipped: bytes | None = None

    @classmethod
    def of(cls, data: Any, *, compress: bool = False) -> Encoded:
        """Encode ``data``; also compress it when asked and it is over 1 KB."""
        plain = encode(data)
        gzipped = (
            gzip.compress(plain, compresslevel=GZIP_LEVEL, mtime=0)
            if compress and len(plain) >= GZIP_MINIMUM_BYTES
            else None
        )
        return cls(plain, etag_of(plain), gzipped)


__all__ = ["GZIP_MINIMUM_BYTES", "Encoded", "encode", "etag_of"]

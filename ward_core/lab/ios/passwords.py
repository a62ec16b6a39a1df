"""Secrets as an IOS running config shows them: type 9 (scrypt-shaped) and type 7 (reversible).

The type 9 strings have the real shape (``$9$`` + 14-character salt + ``$`` + 43 characters in
Cisco's base64 alphabet) but are a salted SHA-256, not scrypt: cheap enough to render a thousand
configs, stable for a given secret and salt, and different on every device, as on real hardware.
Type 7 is the real, reversible Vigenère scheme, so tools that decode it work on lab configs.
"""

from __future__ import annotations

import base64
import hashlib

_STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_CISCO = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TO_CISCO = str.maketrans(_STANDARD, _CISCO)
_XLAT = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"


def _cisco_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=").translate(_TO_CISCO)


def type9(secret: str, salt_seed: str) -> str:
    """A type 9 looking hash of ``secret``, salted by ``salt_seed`` (the device name).

    >>> value = type9("ward-lab-enable", "br001-rtr1")
    >>> value.startswith("$9$"), len(value), value == type9("ward-lab-enable", "br001-rtr1")
    (True, 61, True)
    >>> value == type9("ward-lab-enable", "br001-sw1")
    False
    """
    salt = _cisco_b64(hashlib.sha256(f"salt:{salt_seed}".encode()).digest())[:14]
    digest = _cisco_b64(hashlib.sha256(f"{salt}{secret}".encode()).digest())[:43]
    return f"$9${salt}${digest}"


def type7(plain: str, seed: int) -> str:
    """Cisco type 7 encoding of ``plain`` starting at offset ``seed`` (0-15) of the key.

    >>> type7("cisco", 8)
    '0822455D0A16'
    >>> unseven(type7("ward-lab-tacacs", 9))
    'ward-lab-tacacs'
    """
    start = seed % 16
    body = "".join(f"{ord(char) ^ ord(_XLAT[(start + i) % len(_XLAT)]):02X}" for i, char in enumerate(plain))
    return f"{start:02d}{body}"


def unseven(encoded: str) -> str:
    """Decode a type 7 string.

    >>> unseven("0822455D0A16")
    'cisco'
    """
    start = int(encoded[:2])
    pairs = [encoded[i : i + 2] for i in range(2, len(encoded), 2)]
    return "".join(chr(int(pair, 16) ^ ord(_XLAT[(start + i) % len(_XLAT)])) for i, pair in enumerate(pairs))

"""USM cryptography: password-to-key, key localisation, HMAC digests and AES-128-CFB privacy.

RFC 3414 (HMAC-MD5-96, HMAC-SHA-96, key localisation), RFC 7860 (usmHMAC192SHA256AuthProtocol)
and RFC 3826 (usmAesCfb128Protocol). The password expansion hashes one megabyte, so master keys are
computed once per password and localised keys cached per engineID: a lab of 1,000 devices pays for
two expansions and 1,000 cheap localisations.

>>> key = password_to_key(b"maplesyrup", SHA1)
>>> localize_key(key, bytes.fromhex("000000000000000000000002"), SHA1).hex()
'6695febc9288e36282235fc7151f128497b38f3f'
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # older cryptography releases keep CFB among the primitives
    from cryptography.hazmat.primitives.ciphers.modes import CFB


@dataclass(frozen=True)
class AuthProtocol:
    """An authentication protocol: hash function and truncated digest length."""

    name: str
    hash_name: str
    digest_length: int


MD5 = AuthProtocol("MD5", "md5", 12)
SHA1 = AuthProtocol("SHA", "sha1", 12)
SHA256 = AuthProtocol("SHA-256", "sha256", 24)
AUTH_PROTOCOLS = {p.name: p for p in (MD5, SHA1, SHA256)}

_EXPANDED = 1_048_576
AES_KEY_LENGTH = 16


def password_to_key(password: bytes, protocol: AuthProtocol) -> bytes:
    """The master key Ku: the hash of the password repeated to one megabyte (RFC 3414 A.2)."""
    if not password:
        raise ValueError("an SNMPv3 password cannot be empty")
    repeated = password * (_EXPANDED // len(password) + 1)
    return hashlib.new(protocol.hash_name, repeated[:_EXPANDED]).digest()


def localize_key(master: bytes, engine_id: bytes, protocol: AuthProtocol) -> bytes:
    """The localised key Kul = H(Ku || engineID || Ku)."""
    return hashlib.new(protocol.hash_name, master + engine_id + master).digest()


@dataclass(frozen=True)
class LocalizedKeys:
    """One user's keys for one engine."""

    auth: bytes
    priv: bytes


@dataclass
class UsmUser:
    """A v3 user with authentication and AES-128 privacy; localised keys are cached per engineID."""

    name: bytes
    protocol: AuthProtocol
    auth_master: bytes
    priv_master: bytes
    _local: dict[bytes, LocalizedKeys] = field(default_factory=dict, repr=False)

    @classmethod
    def from_passwords(
        cls, name: str, protocol: AuthProtocol, auth_password: str, priv_password: str
    ) -> UsmUser:
        """Derive the master keys once (the expensive step)."""
        return cls(
            name.encode(),
            protocol,
            password_to_key(auth_password.encode(), protocol),
            password_to_key(priv_password.encode(), protocol),
        )

    def keys(self, engine_id: bytes) -> LocalizedKeys:
        """Keys localised to ``engine_id``; the privacy key is cut to AES-128's 16 bytes."""
        found = self._local.get(engine_id)
        if found is None:
            found = self._local[engine_id] = LocalizedKeys(
                localize_key(self.auth_master, engine_id, self.protocol),
                localize_key(self.priv_master, engine_id, self.protocol)[:AES_KEY_LENGTH],
            )
        return found


def digest(protocol: AuthProtocol, key: bytes, message: bytes) -> bytes:
    """The truncated HMAC of a whole message whose authentication parameters are zeros."""
    return hmac.new(key, message, protocol.hash_name).digest()[: protocol.digest_length]


def verify(protocol: AuthProtocol, key: bytes, message: bytes, offset: int, received: bytes) -> bool:
    """Check the digest ``received`` found at ``offset`` in ``message``."""
    if len(received) != protocol.digest_length:
        return False
    zeroed = message[:offset] + bytes(len(received)) + message[offset + len(received) :]
    return hmac.compare_digest(digest(protocol, key, zeroed), received)


def sign(protocol: AuthProtocol, key: bytes, message: bytes, offset: int) -> bytes:
    """Write the digest over the zero placeholder at ``offset``."""
    mac = digest(protocol, key, message)
    return message[:offset] + mac + message[offset + len(mac) :]


def _aes_cfb(key: bytes, boots: int, time: int, salt: bytes) -> Cipher[CFB]:
    iv = boots.to_bytes(4, "big") + time.to_bytes(4, "big") + salt
    return Cipher(algorithms.AES(key), CFB(iv))


def encrypt(key: bytes, boots: int, time: int, salt: bytes, plaintext: bytes) -> bytes:
    """AES-128-CFB with IV = engineBoots || engineTime || salt (RFC 3826 3.1.2.1)."""
    encryptor = _aes_cfb(key, boots, time, salt).encryptor()
    return encryptor.update(plaintext) + encryptor.finalize()


def decrypt(key: bytes, boots: int, time: int, salt: bytes, ciphertext: bytes) -> bytes:
    """The inverse of ``encrypt``; ValueError when the privacy parameters are malformed."""
    if len(salt) != 8 or not 0 <= boots < 1 << 32 or not 0 <= time < 1 << 32:
        raise ValueError("malformed AES privacy parameters")
    decryptor = _aes_cfb(key, boots, time, salt).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()

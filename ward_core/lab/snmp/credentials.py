"""The SNMP credentials a lab's agents accept (the same for every device unless overridden)."""

from __future__ import annotations

from dataclasses import dataclass

from ward_core.errors import LabError
from ward_core.lab.snmp.usm import AUTH_PROTOCOLS, AuthProtocol, UsmUser

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class SnmpCredentials:
    """A v2c community and one v3 user (authPriv, AES-128 privacy).

    ``auth_protocol`` is ``"SHA"`` (usmHMACSHAAuthProtocol), ``"SHA-256"`` (usmHMAC192SHA256)
    or ``"MD5"``, spelled as net-snmp's ``-a`` option spells them.
    """

    community: str = "ward-lab"
    v3_user: str = "ward"
    auth_password: str = "ward-lab-auth"
    priv_password: str = "ward-lab-priv"
    auth_protocol: str = "SHA"

    def __post_init__(self) -> None:
        if not self.community:
            raise LabError("SNMP credentials: field 'community' cannot be empty")
        if not self.v3_user:
            raise LabError("SNMP credentials: field 'v3_user' cannot be empty")
        for field_name in ("auth_password", "priv_password"):
            if len(getattr(self, field_name)) < MIN_PASSWORD_LENGTH:
                raise LabError(
                    f"SNMP credentials: field {field_name!r} needs at least {MIN_PASSWORD_LENGTH} characters"
                    " (RFC 3414; net-snmp refuses shorter ones)"
                )
        if self.auth_protocol not in AUTH_PROTOCOLS:
            known = ", ".join(sorted(AUTH_PROTOCOLS))
            raise LabError(
                f"SNMP credentials: field 'auth_protocol' {self.auth_protocol!r} is not one of {known}"
            )

    @property
    def protocol(self) -> AuthProtocol:
        """The authentication protocol."""
        return AUTH_PROTOCOLS[self.auth_protocol]

    def usm_user(self) -> UsmUser:
        """The v3 user with its master keys (hashes two megabytes: call once per lab)."""
        return UsmUser.from_passwords(self.v3_user, self.protocol, self.auth_password, self.priv_password)

"""The credentials every simulated device of a lab accepts.

A lab is a test bed, so its secrets are fixed, documented values, written by ``ward lab up`` into
the lab's secrets file (``<lab_dir>/secrets.yml``) under the credential names that
``ward lab inventory`` references. Nothing outside the lab uses them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabCredentials:
    """Login, enable secret and SNMP settings shared by the lab's devices."""

    username: str = "ward"
    password: str = "ward-lab-login"
    enable_secret: str = "ward-lab-enable"
    community: str = "ward-lab-ro"
    v3_user: str = "ward-v3"
    v3_auth_password: str = "ward-lab-auth"
    v3_priv_password: str = "ward-lab-priv"

    def secrets_document(self) -> dict[str, dict[str, str]]:
        """The secrets file content, keyed by the credential names the lab inventory uses."""
        return {
            "lab-ssh": {
                "username": self.username,
                "password": self.password,
                "secret": self.enable_secret,
            },
            "lab-snmp": {"community": self.community},
            "lab-snmpv3": {
                "username": self.v3_user,
                "auth_key": self.v3_auth_password,
                "priv_key": self.v3_priv_password,
            },
        }

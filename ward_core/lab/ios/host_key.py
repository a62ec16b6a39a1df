"""The one SSH host key every simulated device presents, generated once and kept in a file.

Sharing a key keeps start-up fast and memory small for a thousand devices; keeping it in the lab's
folder means ``known_hosts`` entries stay valid across ``ward lab down`` / ``ward lab up``.
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

from ward_core.errors import LabError

KEY_ALGORITHM = "ssh-ed25519"


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The private key in ``path``; a new ed25519 key (mode 0600) is written there when it is missing."""
    if path.exists():
        try:
            return asyncssh.read_private_key(path)
        except (OSError, asyncssh.KeyImportError) as exc:
            raise LabError(f"{path}: cannot read the lab's SSH host key: {exc}") from exc
    key = asyncssh.generate_private_key(KEY_ALGORITHM, comment="ward lab")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.export_private_key())
        temporary.replace(path)
    except OSError as exc:
        raise LabError(f"{path}: cannot write the lab's SSH host key: {exc}") from exc
    return key

"""The lab's control channel: JSON lines over a UNIX socket in the lab folder.

The ``ward lab`` commands are clients; the lab process serves. One request per connection::

    {"op": "status"}                                        -> {"ok": true, "status": {...}}
    {"op": "fault", "device": "br001-rtr1", "kind": "down"}  -> {"ok": true, "message": "..."}
    {"op": "device", "name": "br001-rtr1"}                  -> {"ok": true, "device": {...}}
    {"op": "shutdown"}                                      -> {"ok": true}

Errors come back as ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ward_core.errors import LabError, WardError

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def serve(path: Path, handler: Handler) -> asyncio.Server:
    """Serve requests on ``path`` with ``handler``; WardErrors become error replies."""
    path.unlink(missing_ok=True)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            try:
                reply = await handler(json.loads(line))
            except WardError as exc:
                reply = {"ok": False, "error": str(exc)}
            except (ValueError, KeyError, TypeError) as exc:
                reply = {"ok": False, "error": f"bad request: {exc}"}
            writer.write(json.dumps(reply, default=str).encode() + b"\n")
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_unix_server(on_connect, path=str(path))
    path.chmod(0o600)
    return server


def request(path: Path, payload: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one request to the lab at ``path``; LabError when it cannot be reached or refuses."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(json.dumps(payload).encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        raise LabError(f"the lab does not answer on {path}: {exc}") from exc
    reply: dict[str, Any] = json.loads(b"".join(chunks) or b"{}")
    if not reply.get("ok"):
        raise LabError(str(reply.get("error", "the lab refused the request")))
    return reply

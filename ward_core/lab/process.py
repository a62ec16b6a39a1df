"""Starting, finding and stopping the background lab process (``ward lab up|down|status|fault``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from ward_core.errors import LabError
from ward_core.lab import control, netns
from ward_core.lab.credentials import LabCredentials
from ward_core.lab.runtime import build
from ward_core.lab.spec import LabPaths, LabSpec

DAEMON_MODULE = "ward_core.lab.daemon"


class LabProcess:
    """One lab, identified by its folder (``Settings.lab_dir``)."""

    def __init__(self, lab_dir: Path) -> None:
        self.paths = LabPaths(lab_dir.resolve())

    # --- queries ----------------------------------------------------------------------------
    def namespace(self) -> netns.LabNamespace:
        """The network namespace this lab uses when started with ``--netns``."""
        return netns.LabNamespace.for_lab(self.paths.root)

    def running_pid(self) -> int | None:
        """The pid of this folder's lab process when it is alive."""
        try:
            pid = int(self.paths.pid.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            return None
        return pid if DAEMON_MODULE.encode() in cmdline else None

    def state(self) -> dict[str, Any]:
        """What the lab wrote when it became ready; LabError when no lab is running."""
        if self.running_pid() is None:
            raise LabError(f"no lab is running in {self.paths.root} (ward lab up)")
        try:
            state: dict[str, Any] = json.loads(self.paths.state.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise LabError(f"the lab in {self.paths.root} is not ready yet: {exc}") from exc
        return state

    def status(self) -> dict[str, Any]:
        """Live status from the lab process, or ``{"running": False}``."""
        if self.running_pid() is None:
            return {"running": False, "lab_dir": str(self.paths.root)}
        reply = control.request(self.paths.control, {"op": "status"})
        return {"running": True, "lab_dir": str(self.paths.root), **reply["status"]}

    def fault(self, device: str, kind: str, argument: str | None) -> dict[str, Any]:
        """Inject a fault into the running lab."""
        self.state()
        return control.request(
            self.paths.control, {"op": "fault", "device": device, "kind": kind, "argument": argument}
        )

    def device(self, name: str) -> dict[str, Any]:
        """Live state of one device."""
        self.state()
        device: dict[str, Any] = control.request(self.paths.control, {"op": "device", "name": name})["device"]
        return device

    # --- lifecycle --------------------------------------------------------------------------
    def up(self, spec: LabSpec, timeout: float = 180.0) -> dict[str, Any]:
        """Start the lab in the background and wait until every device answers; returns its state."""
        pid = self.running_pid()
        if pid is not None:
            raise LabError(f"a lab is already running in {self.paths.root} (pid {pid}); ward lab down first")
        network = build(spec)
        self.paths.root.mkdir(parents=True, exist_ok=True)
        for stale in (self.paths.state, self.paths.control, self.paths.pid):
            stale.unlink(missing_ok=True)
        self.paths.spec.write_text(spec.to_json(), encoding="utf-8")
        self._write_secrets()
        namespace = self.namespace() if spec.netns else None
        if namespace is not None:
            netns.create(namespace, [d.address for d in network])
        command = [sys.executable, "-m", DAEMON_MODULE, str(self.paths.spec)]
        if namespace is not None:
            command = [*netns.exec_prefix(namespace), *command]
        with self.paths.log.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.paths.root,
            )
        deadline = time.monotonic() + timeout
        while not self.paths.state.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    process.kill()
                if namespace is not None:
                    netns.delete(namespace)
                raise LabError(f"the lab did not start; last lines of {self.paths.log}:\n{self._log_tail()}")
            time.sleep(0.1)
        return self.state()

    def down(self, timeout: float = 30.0) -> bool:
        """Stop the lab and remove what it left (namespace, sockets); False when none was running."""
        pid = self.running_pid()
        spec = self._spec()
        if pid is not None:
            try:
                control.request(self.paths.control, {"op": "shutdown"}, timeout=5)
            except LabError:
                os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, timeout):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 5)
        if spec is not None and spec.netns:
            netns.delete(self.namespace())
        for leftover in (self.paths.state, self.paths.control, self.paths.pid):
            leftover.unlink(missing_ok=True)
        return pid is not None

    def _spec(self) -> LabSpec | None:
        try:
            return LabSpec.from_json(self.paths.spec.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return None

    def _write_secrets(self) -> None:
        document = yaml.safe_dump(LabCredentials().secrets_document(), sort_keys=True)
        self.paths.secrets.write_text(document, encoding="utf-8")
        self.paths.secrets.chmod(0o600)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(
                self.paths.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            )
        except OSError:
            return "(no log)"


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False

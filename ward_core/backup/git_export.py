"""Exporting stored versions to a git repository, for people who live in git.

One commit per version, in the order versions were stored; the file is ``<site>/<device>.cfg``
(``no-site/`` for devices without a site); the author is who the device says changed it (else
``ward``), the date the time ward collected the version. Each commit message ends with a
``Ward-Version: <id>`` trailer, so exporting again into the same repository adds only the versions
stored since. The texts exported are the stored ones: redacted and normalised.

The ``git`` command does the work: ``git fast-import`` writes every commit in one process, then the
work tree is brought up to date. Nothing here touches a repository other than ``repo``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ward_core.db.models import ConfigBlob, ConfigVersion
from ward_core.errors import ConfigError

BRANCH = "main"
TRAILER = "Ward-Version"
NO_SITE = "no-site"
COMMITTER = "ward <ward@localhost>"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """What an export did: the repository, commits added, and the last version exported."""

    repo: Path
    commits: int
    last_version: int | None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {"repo": str(self.repo), "commits": self.commits, "last_version": self.last_version}


def path_component(name: str) -> str:
    """``name`` made safe as one path component.

    >>> path_component("branch/001")
    'branch_001'
    >>> path_component("..")
    '_'
    """
    safe = _UNSAFE.sub("_", name).strip()
    return "_" if not safe or set(safe) == {"."} else safe


def device_path(site: str | None, device: str) -> str:
    """Where a device's configuration lives in the repository.

    >>> device_path("branch-001", "br001-rtr1")
    'branch-001/br001-rtr1.cfg'
    """
    return f"{path_component(site) if site else NO_SITE}/{path_component(device)}.cfg"


def _git(repo: Path, *args: str, stdin: bytes | None = None, check: bool = True) -> str:
    git = shutil.which("git")
    if git is None:
        raise ConfigError("git export needs the git command: install git")
    result = subprocess.run([git, "-C", str(repo), *args], input=stdin, capture_output=True, check=False)
    if result.returncode != 0:
        if not check:
            return ""
        raise ConfigError(f"{repo}: git {args[0]} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout.decode("utf-8", errors="replace")


def _last_exported(repo: Path) -> int | None:
    if not (repo / ".git").exists():
        return None
    if not _git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{BRANCH}", check=False).strip():
        return None
    value = _git(repo, "log", "-1", f"--format=%(trailers:key={TRAILER},valueonly)", BRANCH).strip()
    return int(value) if value.isdigit() else None


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def _identity(name: str | None) -> bytes:
    who = path_component(name) if name else "ward"
    return f"{who} <{who}@ward.invalid>".encode()


def export_to_git(session: Session, repo: Path) -> ExportOutcome:
    """Write every version not exported yet as one commit each into ``repo`` (created if needed).

    Raises :class:`~ward_core.errors.ConfigError` when ``repo`` exists but is not a git work tree
    that ward exported to, or git is missing or fails.
    """
    repo = repo.resolve()
    if repo.exists() and not repo.is_dir():
        raise ConfigError(f"{repo}: not a folder")
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        if any(repo.iterdir()):
            raise ConfigError(f"{repo}: not empty and not a git repository; give an empty or new folder")
        _git(repo, "init", "--quiet", f"--initial-branch={BRANCH}")
    last = _last_exported(repo)
    rows = session.execute(
        select(ConfigVersion, ConfigBlob.text)
        .join(ConfigBlob, ConfigBlob.digest == ConfigVersion.digest)
        .order_by(ConfigVersion.id)
    ).all()
    where: dict[str, str] = {}
    stream = bytearray()
    commits = 0
    parent = last is not None
    newest = last
    for version, text in rows:
        path = device_path(version.site, version.device)
        moved_from = where.get(version.device)
        where[version.device] = path
        if last is not None and version.id <= last:
            continue
        when = int(version.collected_at.timestamp())
        by = version.changed_by or "unknown"
        source = {"initial": "first backup", "remediation": f"remediation {version.remediation}"}.get(
            version.change_source, f"changed by {by}"
        )
        message = (
            f"{version.device}: {source}\n\n"
            f"Collected by backup run {version.run_id} at {version.collected_at.isoformat()}.\n"
            f"Digest: {version.digest}\n\n{TRAILER}: {version.id}\n"
        ).encode()
        stream += f"commit refs/heads/{BRANCH}\n".encode()
        stream += b"author " + _identity(version.changed_by) + f" {when} +0000\n".encode()
        stream += f"committer {COMMITTER} {when} +0000\n".encode()
        stream += _data(message)
        if parent and commits == 0:
            stream += f"from refs/heads/{BRANCH}^0\n".encode()
        if moved_from is not None and moved_from != path:
            stream += f"D {moved_from}\n".encode()
        stream += f"M 100644 inline {path}\n".encode() + _data(text.encode("utf-8"))
        commits += 1
        newest = version.id
    if commits:
        _git(repo, "fast-import", "--quiet", "--done", stdin=bytes(stream) + b"done\n")
        _git(repo, "reset", "--quiet", "--hard", BRANCH)
    return ExportOutcome(repo=repo, commits=commits, last_version=newest)

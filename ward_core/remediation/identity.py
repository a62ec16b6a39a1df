"""Who is acting, which roles they hold and what those roles permit: the roles file.

The file (``Settings.roles_file``, YAML)::

    identity: user            # or "token": WARD_USER alone is then refused, WARD_TOKEN is required
    roles:                    # optional: role -> permissions (see ward_core.permissions)
      neteng: [operator, approvals.decide]
      change-board: [approver]
    users:
      alice:
        roles: [neteng]
        token_sha256: 5e884898da28047151d0e56f8dc62927...   # optional: SHA-256 of alice's WARD_TOKEN
      bob:
        roles: [neteng, change-board]

The acting user is ``WARD_TOKEN``'s owner when a token is given (``WARD_USER``, if also set, must
name the same user), else ``WARD_USER``. Roles are read from the file every time they matter, so
removing a role takes effect at once, also for approvals already given and API tokens issued.
Without a ``roles:`` mapping every role grants the defaults :mod:`ward_core.permissions` documents.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ward_core.config import Settings
from ward_core.errors import ConfigError, IdentityError
from ward_core.permissions import expand, permissions_of_roles

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,255}$")


@dataclass(frozen=True, slots=True)
class Person:
    """A user and the roles they hold."""

    name: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Directory:
    """The roles file: users, their roles and token digests, and how identity is established."""

    users: Mapping[str, Person] = field(default_factory=dict)
    tokens: Mapping[str, str] = field(default_factory=dict)
    identity: Literal["user", "token"] = "user"
    source: str = "roles file"
    role_permissions: Mapping[str, frozenset[str]] | None = None
    """The file's ``roles:`` mapping; None when it has none (the defaults apply)."""

    def roles_of(self, user: str) -> frozenset[str]:
        """The roles ``user`` holds now (none for an unknown user)."""
        person = self.users.get(user)
        return person.roles if person else frozenset()

    def permissions_of(self, user: str) -> frozenset[str]:
        """The permissions ``user``'s roles grant now (none for an unknown user)."""
        return permissions_of_roles(self.roles_of(user), self.role_permissions)

    def require(self, person: Person, *permissions: str) -> None:
        """IdentityError unless ``person`` holds one of ``permissions`` now."""
        if not permissions_of_roles(person.roles, self.role_permissions) & set(permissions):
            roles = ", ".join(sorted(person.roles)) or "no role"
            wanted = " or ".join(repr(p) for p in permissions)
            raise IdentityError(f"{person.name} lacks the permission {wanted} ({roles} in {self.source})")


def _fail(source: str, where: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: {where}: {message}")


def parse_directory(document: Any, source: str) -> Directory:
    """A :class:`Directory` from the parsed YAML ``document``; ConfigError naming the field.

    >>> d = parse_directory({"users": {"alice": {"roles": ["neteng"]}}}, "roles.yml")
    >>> sorted(d.roles_of("alice")), d.identity
    (['neteng'], 'user')
    >>> parse_directory({"users": {"bob": {"role": "x"}}}, "roles.yml")
    Traceback (most recent call last):
    ...
    ward_core.errors.ConfigError: roles.yml: users.bob: unknown key(s) role (known: roles, token_sha256)
    """
    if not isinstance(document, dict):
        raise _fail(source, "(top)", "expected a mapping with 'users'")
    unknown = set(document) - {"identity", "roles", "users"}
    if unknown:
        raise _fail(
            source, "(top)", f"unknown key(s) {', '.join(sorted(unknown))} (known: identity, roles, users)"
        )
    identity = document.get("identity", "user")
    if identity not in ("user", "token"):
        raise _fail(source, "identity", f"must be 'user' or 'token', got {identity!r}")
    users_doc = document.get("users") or {}
    if not isinstance(users_doc, dict):
        raise _fail(source, "users", "expected a mapping of user names")
    users: dict[str, Person] = {}
    tokens: dict[str, str] = {}
    for name, entry in users_doc.items():
        where = f"users.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(source, where, "a user name has 1-255 letters, digits, '_', '.', '@' or '-'")
        entry = entry or {}
        if not isinstance(entry, dict):
            raise _fail(source, where, "expected a mapping with 'roles'")
        extra = set(entry) - {"roles", "token_sha256"}
        if extra:
            raise _fail(
                source, where, f"unknown key(s) {', '.join(sorted(extra))} (known: roles, token_sha256)"
            )
        roles = entry.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
            raise _fail(source, f"{where}.roles", "expected a list of role names")
        digest = entry.get("token_sha256")
        if digest is not None:
            if not isinstance(digest, str) or not _HEX64.match(digest.lower()):
                raise _fail(
                    source, f"{where}.token_sha256", "expected 64 hex digits (the SHA-256 of the token)"
                )
            if digest.lower() in tokens:
                raise _fail(
                    source, f"{where}.token_sha256", f"the same token as user {tokens[digest.lower()]!r}"
                )
            tokens[digest.lower()] = name
        users[name] = Person(name, frozenset(roles))
    return Directory(
        users=users,
        tokens=tokens,
        identity=identity,
        source=source,
        role_permissions=_parse_roles(document.get("roles", None), source) if "roles" in document else None,
    )


def _parse_roles(roles_doc: Any, source: str) -> dict[str, frozenset[str]]:
    """The ``roles:`` mapping: role name -> permissions (or built-in role names standing for theirs).

    >>> sorted(_parse_roles({"noc": ["alerts.view", "alerts.ack"]}, "r.yml")["noc"])
    ['alerts.ack', 'alerts.view']
    >>> _parse_roles({"noc": "alerts.ack"}, "r.yml")
    Traceback (most recent call last):
    ...
    ward_core.errors.ConfigError: r.yml: roles.noc: expected a list of permissions
    """
    roles_doc = roles_doc or {}
    if not isinstance(roles_doc, dict):
        raise _fail(source, "roles", "expected a mapping of role names to lists of permissions")
    declared: dict[str, frozenset[str]] = {}
    for role, entries in roles_doc.items():
        where = f"roles.{role}"
        if not isinstance(role, str) or not _NAME.match(role):
            raise _fail(source, where, "a role name has 1-255 letters, digits, '_', '.', '@' or '-'")
        entries = entries or []
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise _fail(source, where, "expected a list of permissions")
        try:
            declared[role] = expand(entries, where)
        except ValueError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return declared


def load_directory(settings: Settings) -> Directory:
    """The roles file the settings name; an empty directory when none is configured."""
    path: Path | None = settings.roles_file
    if path is None:
        return Directory(source="(no roles_file)")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: roles file not found") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else "?"
        raise ConfigError(f"{path}:{line}: YAML syntax error: {exc.problem}") from None
    return parse_directory(document, str(path))


_cache_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, int, int], Directory]] = {}


def current_directory(settings: Settings) -> Directory:
    """:func:`load_directory`, parsed again only when the file changed (size, mtime or inode).

    For servers answering many requests: a change to the file still takes effect at the next
    request, without parsing YAML on every one.
    """
    path = settings.roles_file
    if path is None:
        return Directory(source="(no roles_file)")
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{path}: roles file not found") from None
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    with _cache_lock:
        cached = _cache.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    directory = load_directory(settings)
    with _cache_lock:
        _cache[path] = (stamp, directory)
    return directory


def token_digest(token: str) -> str:
    """The SHA-256 (hex) of a token, as the roles file stores it.

    >>> token_digest("password")[:16]
    '5e884898da280471'
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def current_person(settings: Settings, directory: Directory) -> Person:
    """The acting user (see the module docstring); IdentityError when it cannot be established."""
    if settings.token:
        digest = token_digest(settings.token)
        owner = next(
            (user for known, user in directory.tokens.items() if hmac.compare_digest(known, digest)), None
        )
        if owner is None:
            raise IdentityError(f"WARD_TOKEN matches no user of {directory.source}")
        if settings.user and settings.user != owner:
            raise IdentityError(f"WARD_USER {settings.user!r} is not the owner of WARD_TOKEN")
        return directory.users[owner]
    if directory.identity == "token":
        raise IdentityError(f"{directory.source} requires a token: set WARD_TOKEN")
    if not settings.user:
        raise IdentityError("who are you? set WARD_USER (or WARD_TOKEN)")
    person = directory.users.get(settings.user)
    return person if person is not None else Person(settings.user, frozenset())

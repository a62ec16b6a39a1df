"""Credentials, resolved by name at run time and never stored or shown.

An inventory names a credential (``credentials: lab-ssh``); its fields come from, highest priority
first:

* environment variables ``WARD_CRED_<NAME>_<FIELD>``: the name upper-cased with ``-`` and ``.``
  turned into ``_``, e.g. ``WARD_CRED_LAB_SSH_PASSWORD``;
* the YAML secrets file (``Settings.secrets_file``): ``{name: {field: value}}``.

Fields: ``username``, ``password``, ``secret`` (enable), ``community`` (SNMP v2c), ``auth_key`` and
``priv_key`` (SNMP v3). Every field but ``username`` is wrapped in :class:`Secret`, whose ``repr`` and
``str`` hide the value, so a credential printed or logged by mistake shows nothing. Error messages
name the credential, the device and the missing field, never a value.
"""

from __future__ import annotations

import hmac
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from ward_core.config import Settings
from ward_core.errors import CredentialError

FIELDS = ("username", "password", "secret", "community", "auth_key", "priv_key")
ENV_PREFIX = "WARD_CRED_"


class Secret:
    """A secret string: ``reveal()`` gives the value, ``repr``/``str`` never do.

    >>> s = Secret("hunter2")
    >>> s, str(s), s.reveal()
    (Secret('********'), '********', 'hunter2')
    >>> s == Secret("hunter2")
    True
    """

    __slots__ = ("_value",)
    MASK = "********"

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value, for the one call that needs it (a login, an SNMP session)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.MASK!r})"

    def __str__(self) -> str:
        return self.MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, len(self._value)))


def env_var(name: str, field: str) -> str:
    """The environment variable holding ``field`` of credential ``name``.

    >>> env_var("lab-ssh", "password")
    'WARD_CRED_LAB_SSH_PASSWORD'
    """
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_" + field.upper()


@dataclass(frozen=True)
class Credential:
    """A resolved credential. Only ``username`` is plain text."""

    name: str
    username: str | None = None
    password: Secret | None = None
    secret: Secret | None = None
    community: Secret | None = None
    auth_key: Secret | None = None
    priv_key: Secret | None = None

    def present(self) -> tuple[str, ...]:
        """The fields that are set (names only)."""
        return tuple(f.name for f in fields(self) if f.name != "name" and getattr(self, f.name) is not None)


def _build(name: str, values: Mapping[str, str]) -> Credential:
    return Credential(
        name=name,
        username=values.get("username"),
        **{f: Secret(values[f]) for f in FIELDS[1:] if f in values},
    )


class CredentialResolver:
    """Resolves credential names to :class:`Credential` objects; reads the secrets file once."""

    def __init__(self, *, secrets_file: Path | None = None, environ: Mapping[str, str] | None = None) -> None:
        self._secrets_file = secrets_file
        self._environ = os.environ if environ is None else environ
        self._file: dict[str, dict[str, str]] | None = None
        self._file_lock = threading.Lock()
        self._cache: dict[str, Credential] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialResolver:
        """A resolver using the settings' secrets file and the process environment."""
        return cls(secrets_file=settings.secrets_file)

    def _source(self) -> str:
        return str(self._secrets_file) if self._secrets_file else "secrets file"

    def _load_file(self) -> dict[str, dict[str, str]]:
        """The secrets file's content, read once; safe to call from many threads at a time."""
        with self._file_lock:
            if self._file is None:
                self._file = self._read_file()
            return self._file

    def _read_file(self) -> dict[str, dict[str, str]]:
        if self._secrets_file is None:
            return {}
        try:
            document = yaml.safe_load(self._secrets_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CredentialError("secrets file not found", source=self._source()) from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"line {mark.line + 1}" if mark is not None else None
            raise CredentialError(
                f"YAML syntax error: {exc.problem}", source=self._source(), location=where
            ) from None
        except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
            raise CredentialError(f"cannot read: {type(exc).__name__}", source=self._source()) from None
        return self._parse(document)

    def _parse(self, document: Any) -> dict[str, dict[str, str]]:
        if document is None:
            return {}
        if not isinstance(document, dict):
            raise CredentialError("expected a mapping of credential names to fields", source=self._source())
        parsed: dict[str, dict[str, str]] = {}
        for name, values in document.items():
            if not isinstance(values, dict):
                raise CredentialError("expected a mapping of fields", source=self._source(), field=str(name))
            entry: dict[str, str] = {}
            for key, value in values.items():
                if key not in FIELDS:
                    raise CredentialError(
                        f"unknown field (known: {', '.join(FIELDS)})",
                        source=self._source(),
                        field=f"{name}.{key}",
                    )
                if value is None or isinstance(value, dict | list):
                    raise CredentialError(
                        "expected a text value", source=self._source(), field=f"{name}.{key}"
                    )
                entry[key] = str(value)
            parsed[str(name)] = entry
        return parsed

    def lookup(self, name: str) -> Credential:
        """Whatever is known of credential ``name`` (possibly no field at all)."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        values = dict(self._load_file().get(name, {}))
        for field in FIELDS:
            env_value = self._environ.get(env_var(name, field))
            if env_value is not None:
                values[field] = env_value
        credential = _build(name, values)
        self._cache[name] = credential
        return credential

    def resolve(self, name: str, *, device: str | None = None, require: Iterable[str] = ()) -> Credential:
        """Credential ``name`` with every field in ``require`` set, else :class:`CredentialError`.

        An unknown name (no field anywhere) is an error even when nothing is required.
        """
        credential = self.lookup(name)
        present = credential.present()
        for_device = f" (device {device!r})" if device else ""
        file_hint = (
            f"{self._secrets_file} under {name!r}"
            if self._secrets_file
            else "a secrets file (WARD_SECRETS_FILE)"
        )
        if not present:
            raise CredentialError(
                f"credential {name!r}{for_device} is not defined: set {env_var(name, '<FIELD>')} "
                f"variables or add it to {file_hint}"
            )
        missing = [f for f in require if f not in present]
        if missing:
            variables = " / ".join(env_var(name, f) for f in missing)
            raise CredentialError(
                f"credential {name!r}{for_device} has no {', '.join(missing)}: "
                f"set {variables} or add it to {file_hint}"
            )
        return credential

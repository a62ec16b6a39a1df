"""The remediation actions plugins declare, and the checks a proposal passes before anything else.

:class:`ActionRegistry` looks an action up by name, turns ``--param k=v`` text into typed values
using the action's schema, validates parameters against that JSON Schema (``jsonschema``), and
checks the device's platform. Each refusal is a :class:`~ward_core.errors.RequestRefused` naming
the action, the device or the parameter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ward_core.errors import PluginError, RequestRefused
from ward_core.plugin_manager import WardPlugins
from ward_core.types import ActionSpec, DeviceTarget, JsonObject


def _path(error_path: Any) -> str:
    parts = [str(p) for p in error_path]
    return ".".join(parts) if parts else "(parameters)"


def coerce_param(schema: JsonObject, name: str, text: str) -> Any:
    """``text`` given on the command line as the type the schema declares for ``name``.

    >>> schema = {"properties": {"hold_s": {"type": "integer"}, "interface": {"type": "string"}}}
    >>> coerce_param(schema, "hold_s", "3"), coerce_param(schema, "interface", "Gi1/0/3")
    (3, 'Gi1/0/3')
    >>> coerce_param(schema, "hold_s", "soon")
    'soon'
    """
    properties = schema.get("properties")
    declared = properties.get(name) if isinstance(properties, Mapping) else None
    kind = declared.get("type") if isinstance(declared, Mapping) else None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean" and text.lower() in ("true", "false", "yes", "no"):
            return text.lower() in ("true", "yes")
        if kind in ("array", "object"):
            return json.loads(text)
    except ValueError:
        return text
    return text


class ActionRegistry:
    """Every declared action, by name; schemas are checked when the registry is built."""

    def __init__(self, plugins: WardPlugins) -> None:
        self._actions = plugins.remediation_actions()
        self._validators: dict[str, Draft202012Validator] = {}
        for name, spec in self._actions.items():
            try:
                Draft202012Validator.check_schema(dict(spec.params_schema))
            except SchemaError as exc:
                raise PluginError(
                    f"remediation action {name!r}: invalid params_schema: {exc.message}"
                ) from exc
            self._validators[name] = Draft202012Validator(dict(spec.params_schema))

    def names(self) -> list[str]:
        """Every action name, sorted."""
        return sorted(self._actions)

    def __iter__(self) -> Any:
        return iter(self._actions[name] for name in self.names())

    def get(self, name: str) -> ActionSpec:
        """The action called ``name``; RequestRefused listing the known ones otherwise."""
        spec = self._actions.get(name)
        if spec is None:
            known = ", ".join(self.names()) or "none"
            raise RequestRefused(f"unknown action {name!r} (known actions: {known})")
        return spec

    def parse_params(self, name: str, pairs: list[str]) -> dict[str, Any]:
        """``["k=v", ...]`` as a parameter object typed after action ``name``'s schema."""
        spec = self.get(name)
        params: dict[str, Any] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise RequestRefused(f"action {name!r}: parameter {pair!r} is not of the form key=value")
            if key in params:
                raise RequestRefused(f"action {name!r}: parameter {key!r} given twice")
            params[key] = coerce_param(spec.params_schema, key, value)
        return params

    def validate(self, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` if they satisfy the action's schema; RequestRefused naming every problem."""
        self.get(name)
        errors = sorted(self._validators[name].iter_errors(dict(params)), key=lambda e: list(e.path))
        if errors:
            problems = "; ".join(f"{_path(e.path)}: {e.message}" for e in errors)
            raise RequestRefused(f"action {name!r}: bad parameters: {problems}")
        return dict(params)

    def check_platform(self, spec: ActionSpec, device: DeviceTarget) -> None:
        """RequestRefused when ``device``'s platform is not one the action supports."""
        if spec.platforms and device.platform not in spec.platforms:
            raise RequestRefused(
                f"action {spec.name!r} supports platforms {', '.join(spec.platforms)}; "
                f"device {device.name!r} is {device.platform!r}"
            )

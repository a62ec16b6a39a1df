"""A platform's compliance features, read from ``templates/<platform>/compliance.yaml``.

A feature is a Jinja2 template of intended lines plus the top-level lines of the running
configuration it owns (by prefix, ``no <prefix>`` included). Lines no feature owns are not judged,
so a template set can grow one feature at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from hier_config import Platform

from ward_core.errors import ConfigError

COMPLIANCE_FILE = "compliance.yaml"


@dataclass(frozen=True, slots=True)
class Feature:
    """One judged feature: its template (relative to the platform folder) and owned line prefixes."""

    name: str
    template: str
    prefixes: tuple[str, ...]

    def owns(self, line: str) -> bool:
        """Whether a top-level running-config ``line`` belongs to this feature.

        >>> Feature("http", "t.j2", ("ip http ",)).owns("no ip http server")
        True
        >>> Feature("http", "t.j2", ("ip http ",)).owns("ip ssh version 2")
        False
        """
        text = line.strip()
        bare = text[3:] if text.startswith("no ") else text
        return any(bare.startswith(p) or bare == p.rstrip() for p in self.prefixes)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplianceRules:
    """What ``compliance.yaml`` declares for one platform."""

    platform: str
    folder: Path
    hier_platform: Platform
    features: tuple[Feature, ...]


def load_compliance(root: Path, platform: str) -> ComplianceRules | None:
    """The compliance rules of ``platform`` under ``root``; None when it has no ``compliance.yaml``.

    Raises :class:`~ward_core.errors.ConfigError` naming the file and field when it is malformed.
    """
    folder = root / platform
    path = folder / COMPLIANCE_FILE
    if not path.is_file():
        return None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else "?"
        raise ConfigError(f"{path}:{line}: YAML syntax error: {exc.problem}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected a mapping with hier_config_platform and features")
    name = document.get("hier_config_platform")
    try:
        hier_platform = Platform[str(name)]
    except KeyError:
        known = ", ".join(p.name for p in Platform)
        raise ConfigError(f"{path}: field 'hier_config_platform': {name!r} is not one of {known}") from None
    raw_features = document.get("features")
    if not isinstance(raw_features, dict) or not raw_features:
        raise ConfigError(f"{path}: field 'features': expected a mapping of feature names")
    features = []
    for feature, spec in raw_features.items():
        where = f"{path}: feature {feature!r}"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: expected a mapping with template and lines")
        template = spec.get("template")
        if not isinstance(template, str) or not (folder / template).is_file():
            raise ConfigError(f"{where}: field 'template': no template file {template!r} in {folder}")
        lines = spec.get("lines")
        if (
            not isinstance(lines, list)
            or not lines
            or not all(isinstance(x, str) and x.strip() for x in lines)
        ):
            raise ConfigError(f"{where}: field 'lines': expected a list of line prefixes")
        features.append(Feature(str(feature), template, tuple(lines)))
    return ComplianceRules(
        platform=platform, folder=folder, hier_platform=hier_platform, features=tuple(features)
    )

"""Rendering a device's intended configuration from the Jinja2 templates of its platform.

Templates are strict: a variable the inventory does not define is an error, never an empty string
that would silently make a device "compliant" with a half-rendered line. The error names the
template, the line in it and the missing variable, for that device (:class:`TemplateError`).

Variables (the inventory's, as :class:`~ward_core.types.DeviceTarget` carries them):

- ``device``: ``name``, ``host``, ``port``, ``platform``, ``role``, ``site``, ``region``, ``tags``,
  ``groups``, ``vars``;
- ``site``: ``name``, ``region``, ``vars`` (None for a device without a site);
- ``region``, ``groups``;
- ``vars``: the site's vars with the device's on top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from ward_core.errors import TemplateError
from ward_core.types import DeviceTarget

_UNDEFINED = (
    re.compile(r"'(?P<name>[^']+)' is undefined"),
    re.compile(r"has no attribute '(?P<name>[^']+)'"),
    re.compile(r"'[^']+' object has no attribute '(?P<name>[^']+)'"),
)


def environment(folder: Path) -> jinja2.Environment:
    """A strict Jinja2 environment loading templates from ``folder``."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def context(device: DeviceTarget, site_vars: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The variables a template sees for ``device`` (see the module docstring)."""
    own = dict(device.vars)
    merged = {**dict(site_vars or {}), **own}
    return {
        "device": {
            "name": device.name,
            "host": device.host,
            "port": device.port,
            "platform": device.platform,
            "role": device.role,
            "site": device.site,
            "region": device.region,
            "tags": list(device.tags),
            "groups": list(device.groups),
            "vars": own,
        },
        "site": {"name": device.site, "region": device.region, "vars": dict(site_vars or {})}
        if device.site
        else None,
        "region": device.region,
        "groups": list(device.groups),
        "vars": merged,
    }


def _template_line(tb: TracebackType | None, filename: str) -> int | None:
    """The template line of the innermost traceback frame that is in the template file."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _variable(message: str) -> str | None:
    for pattern in _UNDEFINED:
        found = pattern.search(message)
        if found:
            return found["name"]
    return None


def render(env: jinja2.Environment, template: str, device: DeviceTarget, variables: Mapping[str, Any]) -> str:
    """Render ``template`` for ``device``; :class:`TemplateError` names the line and variable."""
    try:
        compiled = env.get_template(template)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"syntax error: {exc.message}",
            template=exc.filename or template,
            device=device.name,
            line=exc.lineno,
        ) from None
    except jinja2.TemplateNotFound:
        raise TemplateError("template not found", template=template, device=device.name) from None
    filename = compiled.filename or template
    try:
        return compiled.render(**variables)
    except jinja2.UndefinedError as exc:
        variable = _variable(str(exc))
        what = f"undefined variable {variable!r}" if variable else str(exc)
        raise TemplateError(
            f"{what} ({exc})",
            template=filename,
            device=device.name,
            line=_template_line(exc.__traceback__, filename),
            variable=variable,
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(
            str(exc), template=filename, device=device.name, line=_template_line(exc.__traceback__, filename)
        ) from None
    except Exception as exc:
        raise TemplateError(
            f"{type(exc).__name__}: {exc}",
            template=filename,
            device=device.name,
            line=_template_line(exc.__traceback__, filename),
        ) from None

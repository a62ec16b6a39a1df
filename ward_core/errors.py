"""Every error ward raises, in one tree.

::

    WardError
    ├── ConfigError                  settings or a config file are wrong
    │   ├── TemplateError            an intended-config template fails for one device (names line, variable)
    │   ├── RulesRejected            alert rule files refused (file, line and column of every problem)
    │   └── PlaybookError            a playbook refused before it runs (names file, line and field)
    ├── PluginError                  a plugin failed to load, or broke the contract
    │   └── PluginBlocked
    ├── InventoryError               an inventory file or record is wrong (names file, line, field)
    │   ├── InventoryRejected        a whole file refused, carrying every error found in it
    │   ├── FilterError              a dynamic-group filter expression is wrong (names the column)
    │   └── CredentialError          a credential reference cannot be resolved
    ├── StorageError                 the database cannot be reached or migrated
    ├── BrokerError                  the queue broker cannot be reached or used (names the URL)
    ├── DeviceError                  something went wrong talking to one device (names the device)
    │   ├── DeviceUnreachable
    │   ├── AuthenticationFailed
    │   ├── CommandRejected
    │   └── DeviceTimeout
    ├── LabError                     the simulated lab cannot start, stop or parse its topology
    └── RemediationError             a remediation request cannot go on (names the request, action, device)
        ├── IdentityError            who is acting is unknown (WARD_USER / token, roles file)
        ├── RequestRefused           a proposal refused: unknown action, bad parameters, platform, policy
        ├── DecisionRefused          an approval or rejection refused: own request, role, expired, decided
        └── ApprovalRequired         the gate: the request's approvals do not satisfy the policy now

Errors carry their context as attributes so that bulk runs can report them as data.
"""

from __future__ import annotations


class WardError(Exception):
    """Base of every ward error."""


class ConfigError(WardError):
    """Settings or a configuration file are invalid."""


class TemplateError(ConfigError):
    """A template cannot be rendered for one device.

    ``template`` is the file, ``line`` the line in it (when known), ``variable`` the undefined name
    (when that is the problem) and ``device`` the device it was rendered for.
    """

    def __init__(
        self,
        message: str,
        *,
        template: str,
        device: str,
        line: int | None = None,
        variable: str | None = None,
    ) -> None:
        self.template = template
        self.device = device
        self.line = line
        self.variable = variable
        self.reason = message
        where = f"{template}:{line}" if line is not None else template
        super().__init__(f"{where}: device {device!r}: {message}")


class RulesRejected(ConfigError):
    """Alert rule files were refused; ``problems`` lists every problem, each naming file, line and
    column (``path:line:column: message``). The message shows the first :attr:`SHOWN` of them."""

    SHOWN = 50

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[: self.SHOWN])
        more = f"\n  ... and {len(problems) - self.SHOWN} more" if len(problems) > self.SHOWN else ""
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"alert rules refused ({count}):\n{shown}{more}")


class PlaybookError(ConfigError):
    """A playbook is refused before anything runs: ``file``, ``line`` (1-based, when known) and
    ``field`` (a dotted path such as ``steps[2].when``) say where."""

    def __init__(self, message: str, *, file: str, line: int | None = None, field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {field + ': ' if field else ''}{message}")


class PluginError(WardError):
    """A plugin failed to load or broke the plugin contract."""

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}" if plugin else message)


class PluginBlocked(PluginError):
    """A plugin was asked for by name but is blocked in configuration."""


class InventoryError(WardError):
    """An inventory source is invalid.

    ``source`` is the file (or ``"database"``), ``location`` the line or row, ``field`` the
    offending field. The message always names whichever of them are known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        location: str | None = None,
        field: str | None = None,
    ) -> None:
        self.source = source
        self.location = location
        self.field = field
        self.reason = message
        where = ":".join(p for p in (source, location) if p)
        parts = [where] if where else []
        if field:
            parts.append(f"field {field!r}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class InventoryRejected(InventoryError):
    """An inventory file was refused as a whole; ``errors`` lists every problem found in it.

    The message shows the first :attr:`SHOWN` of them, one per line.
    """

    SHOWN = 20

    def __init__(self, source: str, errors: list[InventoryError]) -> None:
        self.errors = errors
        shown = "\n".join(f"  {err}" for err in errors[: self.SHOWN])
        more = f"\n  ... and {len(errors) - self.SHOWN} more" if len(errors) > self.SHOWN else ""
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        super().__init__(f"rejected, nothing imported ({count}):\n{shown}{more}", source=source)


class FilterError(InventoryError):
    """A filter expression does not parse or names an unknown attribute.

    ``expression`` is the whole expression and ``column`` the 1-based position of the problem.
    """

    def __init__(
        self,
        message: str,
        *,
        expression: str,
        column: int | None = None,
        source: str | None = None,
        location: str | None = None,
        field: str | None = None,
    ) -> None:
        self.expression = expression
        self.column = column
        self.detail = message
        at = f" at column {column}" if column is not None else ""
        super().__init__(
            f"filter {expression!r}{at}: {message}", source=source, location=location, field=field
        )


class CredentialError(InventoryError):
    """A credential reference cannot be resolved (the secret itself is never shown)."""


class StorageError(WardError):
    """The database cannot be reached, migrated or written."""


class BrokerError(WardError):
    """The queue broker (Redis, RabbitMQ) cannot be reached or used; the message names its URL."""


class DeviceError(WardError):
    """Talking to one device failed. ``device`` names it, ``plugin`` says who tried."""

    def __init__(self, message: str, *, device: str, plugin: str | None = None) -> None:
        self.device = device
        self.plugin = plugin
        by = f" ({plugin})" if plugin else ""
        super().__init__(f"{device}{by}: {message}")


class DeviceUnreachable(DeviceError):
    """The device did not answer at all."""


class AuthenticationFailed(DeviceError):
    """The device refused the credentials."""


class CommandRejected(DeviceError):
    """The device answered a command with an error."""


class DeviceTimeout(DeviceError):
    """The device answered, but too slowly."""


class LabError(WardError):
    """The simulated lab cannot start, stop, or read its topology."""


class RemediationError(WardError):
    """A remediation request cannot be proposed, decided or executed.

    ``request`` is the request id when there is one; the message names the action and device.
    """

    def __init__(self, message: str, *, request: int | None = None) -> None:
        self.request = request
        self.reason = message
        super().__init__(f"request {request}: {message}" if request is not None else message)


class IdentityError(RemediationError):
    """The acting user cannot be established (no ``WARD_USER``, unknown token, roles file wrong)."""


class RequestRefused(RemediationError):
    """A proposal was refused before anything was stored: unknown action, bad parameters, a device
    outside the action's platforms, a plan step refusing, no approval policy covering it."""


class DecisionRefused(RemediationError):
    """An approval or rejection was refused: the requester's own, a missing role, an expired or
    already decided request, a plan hash that is not the request's current one."""


class ApprovalRequired(RemediationError):
    """The request's approvals do not satisfy its approval policy now: nothing may run."""

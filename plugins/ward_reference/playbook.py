"""The ``echo`` playbook step: puts a message, with ``$variables`` filled in, into the run's output."""

from __future__ import annotations

from string import Template

from ward_core import hookimpl
from ward_core.types import JsonObject, StepContext, StepResult, StepType

PARAMS_SCHEMA: JsonObject = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
    "additionalProperties": False,
}


def echo(*, params: JsonObject, context: StepContext) -> StepResult:
    """The message with ``$name`` replaced by the playbook variable ``name``.

    ``$devices`` is the number of devices in scope. An unknown variable fails the step, naming it.
    """
    message = params.get("message")
    if not isinstance(message, str):
        return StepResult(ok=False, exception=f"step {context.step!r}: parameter 'message' must be a string")
    values = {key: str(value) for key, value in context.variables.items()}
    values.setdefault("devices", str(len(context.devices)))
    try:
        text = Template(message).substitute(values)
    except KeyError as exc:
        return StepResult(ok=False, exception=f"step {context.step!r}: unknown variable ${exc.args[0]}")
    except ValueError as exc:
        return StepResult(ok=False, exception=f"step {context.step!r}: {exc}")
    return StepResult(ok=True, output=text)


@hookimpl
def ward_playbook_step_types() -> list[StepType]:
    """Offer the ``echo`` step."""
    return [StepType(name="echo", description="output a message", params_schema=PARAMS_SCHEMA, run=echo)]

"""Property-based fuzzing of the REST API from its own OpenAPI document (schemathesis): whatever
the input, no answer is a 5xx.

The app runs in-process (ASGI) on the module's real PostgreSQL and Redis, with an admin token so
that requests reach the handlers, and generous rate limits. Every operation of ``/api/v1`` and
``/healthz`` gets at most :data:`MAX_EXAMPLES` valid cases (plus its documented examples) and as many
invalid ones (wrong types, missing or unknown fields, out-of-range values), which keeps the run
under a minute on a loaded 2-core machine. Failures are collected per operation and mode and
reported together. Generation is derandomized so that CI runs are reproducible.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from ward_core.api.app import create_app

MAX_EXAMPLES = 10
FUZZED = r"^/(api/v1/|healthz$)"


def test_no_input_makes_the_api_fail(api_env: Any) -> None:
    unlimited = api_env.settings_with(api_rate_limit_per_token=10**9, api_rate_limit_per_address=10**9)
    app = create_app(unlimited, engine=api_env.engine)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=FUZZED)
    token = {"Authorization": f"Bearer {api_env.tokens['root']}"}
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                database=None,
                derandomize=True,
            )
            def check(case: Any) -> None:
                answer = case.call(headers=token)
                calls.append(answer.status_code)
                assert answer.status_code < 500, f"{answer.status_code} {answer.text[:300]}"

            try:
                check()
            except AssertionError as exc:
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, f"{operation.path}: no valid case can be generated"
    assert len(calls) > 300 and any(400 <= status < 500 for status in calls)
    assert not failures, "\n".join(failures)

"""Ward's HTTP API (FastAPI): REST under ``/api/v1``, ``/healthz``, ``/metrics``, OpenAPI at ``/docs``.

- :mod:`.app`: :func:`~ward_core.api.app.create_app` and the middleware stack;
- :mod:`.auth`: tokens, :class:`~ward_core.api.auth.Principal`, :func:`~ward_core.api.auth.require`;
- :mod:`.tokens`: API tokens (hashed at rest, scoped, expiring), as ``ward tokens`` manages them;
- :mod:`.routes`: one router per domain, each calling the same services the CLI calls;
- :mod:`.errors`, :mod:`.limits`, :mod:`.metrics`, :mod:`.audit_trail`, :mod:`.openapi`: the
  answers to bad input and abuse, latency metrics, the audit of calls, the OpenAPI document.

Run it with ``ward api --host 127.0.0.1 --port 8080``.
"""

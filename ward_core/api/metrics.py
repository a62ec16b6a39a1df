"""Prometheus metrics of the HTTP API: request latency by method, route template and status.

``ward_api_request_duration_seconds`` is a histogram; its ``_count`` is the number of requests.

Each app has a registry of its own (tests and benchmarks build several apps in one process).
The route label is the template (``/api/v1/devices/{name}``), never the raw path, so label
cardinality stays bounded; requests no route matched count under ``(unmatched)``.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "(unmatched)"


class ApiMetrics:
    """The API's metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "ward_api_request_duration_seconds",
            "Time from receiving a request to sending the end of its answer, by route template.",
            ("method", "route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def exposition(self) -> tuple[bytes, str]:
        """The text format and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def route_template(scope: Scope) -> str:
    """The matched route's template, or :data:`UNMATCHED`."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class MetricsMiddleware:
    """Times every HTTP request and records it under its route template."""

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            method = str(scope.get("method", ""))
            route = route_template(scope)
            self.metrics.latency.labels(method, route, str(status)).observe(time.perf_counter() - started)


__all__ = ["LATENCY_BUCKETS", "ApiMetrics", "MetricsMiddleware", "route_template"]

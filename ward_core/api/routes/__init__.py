"""Every router the API serves; :func:`ward_core.api.app.create_app` includes them in this order.

A new part of the API adds its router here. REST routers live under ``/api/v1`` and state the
permission of each endpoint with :func:`ward_core.api.auth.require`.
"""

from __future__ import annotations

from fastapi import APIRouter

from ward_core.api.live import websocket as live_stream
from ward_core.api.routes import (
    alerts,
    audit,
    configs,
    devices,
    health,
    remediation,
    runs,
    samples,
    topology,
)
from ward_core.api.web import pages as web_pages

ROUTERS: list[APIRouter] = [
    health.router,
    devices.router,
    samples.router,
    alerts.router,
    configs.router,
    topology.router,
    runs.router,
    remediation.router,
    audit.router,
    live_stream.router,
    web_pages.router,
]

__all__ = ["ROUTERS"]

"""A short Redis cache of device-list pages, dropped when the inventory changes.

Every page of ``GET /api/v1/devices`` (one per distinct query) is a field of one Redis hash,
:data:`KEY`, holding the page's ETag, plain JSON and gzip-compressed JSON. The hash expires
``Settings.api_device_cache_ttl_s`` after its first page was stored, and :func:`invalidate_inventory`
deletes it: ``ward inventory import`` calls it after committing, so a change shows at once in every
API process. Whatever else writes the inventory shows within the TTL at the latest, which also
bounds how long a page computed just before an import can outlive it.

Redis failing never fails a request: the page is computed from the database instead.
"""

from __future__ import annotations

import hashlib
import logging

import redis

from ward_core.alerts.publish import redis_url_of
from ward_core.api.encoding import Encoded
from ward_core.config import Settings

log = logging.getLogger(__name__)

KEY = "ward:api:devices"
TIMEOUT_S = 1.0


def _field(signature: str) -> str:
    return hashlib.sha256(signature.encode("utf-8")).hexdigest()[:32]


class DeviceListCache:
    """Pages of the device list in Redis (or nothing, when there is no Redis or the TTL is 0)."""

    def __init__(self, client: redis.Redis | None, ttl_s: float) -> None:
        self.client = client if ttl_s > 0 else None
        self.ttl_ms = max(1, int(ttl_s * 1000))

    def get(self, signature: str, *, gzipped: bool) -> Encoded | None:
        """The cached page for ``signature``, or None. Only the form asked for is fetched: with
        ``gzipped`` the answer's ``plain`` is empty (the page is sent compressed), unless the page was
        too small to be compressed."""
        if self.client is None:
            return None
        name = _field(signature)
        wanted = f"{name}:gz" if gzipped else f"{name}:plain"
        try:
            etag, body = self.client.hmget(KEY, [f"{name}:etag", wanted])
        except redis.RedisError as exc:
            log.warning("device-list cache unavailable: %s", exc)
            return None
        if not isinstance(etag, bytes) or not isinstance(body, bytes):
            if isinstance(etag, bytes) and gzipped:
                return self.get(signature, gzipped=False)
            return None
        text = etag.decode("ascii")
        if gzipped:
            return Encoded(plain=b"", etag=text, gzipped=body)
        return Encoded(plain=body, etag=text)

    def put(self, signature: str, page: Encoded) -> None:
        """Store ``page`` for ``signature``."""
        if self.client is None:
            return
        name = _field(signature)
        fields: dict[str, bytes] = {f"{name}:etag": page.etag.encode("ascii"), f"{name}:plain": page.plain}
        if page.gzipped is not None:
            fields[f"{name}:gz"] = page.gzipped
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.hset(KEY, mapping=fields)  # type: ignore[arg-type]
            pipe.pexpire(KEY, self.ttl_ms, nx=True)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("device-list cache unavailable: %s", exc)


def invalidate_inventory(settings: Settings) -> None:
    """Drop every cached device-list page (after an inventory change was committed)."""
    url = redis_url_of(settings)
    if url is None:
        return
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    try:
        client.delete(KEY)
    except redis.RedisError as exc:
        log.warning("could not drop the API's device-list cache (it expires by itself): %s", exc)
    finally:
        client.close()


__all__ = ["KEY", "DeviceListCache", "invalidate_inventory"]

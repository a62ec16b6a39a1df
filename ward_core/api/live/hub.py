"""One reader of the alert stream per API process, fanned out to every connected client.

The hub blocks on ``XREAD`` with one connection, whatever the number of clients, and puts each new
event in every subscriber's bounded queue. A client follows the stream with :meth:`AlertHub.follow`:

1. it subscribes first, so nothing the hub reads from then on can pass it by;
2. it starts at ``after`` (the last id it saw) or, without one, at the stream's current tail;
3. it reads the backlog after its cursor from Redis itself (``XRANGE``), in pages;
4. then it takes events from its queue, skipping any id not after its cursor (the backlog and the
   queue overlap), so every event is sent once, in order.

A client too slow for its queue is not disconnected: its queue is emptied and it goes back to step
3 from its cursor. A Redis failure in the hub is logged and retried with backoff from the hub's own
cursor; events appended meanwhile are read once Redis answers again. A client's own reads (tail,
backlog) are retried three times over about two seconds before the failure ends its connection
(it then reconnects with its last id).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import redis

from ward_core.api.live.events import STREAM_MAXLEN, AlertEvent, StreamId
from ward_core.api.live.stream import StreamReader

log = logging.getLogger(__name__)

BLOCK_MS = 5_000
"""How long one ``XREAD`` waits; shorter than the reader's socket timeout."""
QUEUE_SIZE = 1_000
BACKLOG_PAGE = 500
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)
CLIENT_RETRIES = 3
CLOSE_WAIT_S = 1.0

T = TypeVar("T")


async def patiently(call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, retried :data:`CLIENT_RETRIES` times when Redis drops or times out."""
    for attempt in range(CLIENT_RETRIES + 1):
        try:
            return await call()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if attempt == CLIENT_RETRIES:
                raise
            log.info("alert stream read failed (%s); retrying", exc)
            await asyncio.sleep(RETRY_S[attempt])
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Gap:
    """Events after ``after`` may be missing: trimmed from the stream, or the stream was reset."""

    after: StreamId
    resume_from: StreamId
    reason: str

    def message(self) -> dict[str, str]:
        """What the WebSocket sends."""
        return {
            "type": "gap",
            "after": str(self.after),
            "resume_from": str(self.resume_from),
            "message": self.reason,
        }


@dataclass(eq=False)
class Subscription:
    """One client's queue (bounded); ``overflowed`` once the hub had to drop an event for it."""

    queue: asyncio.Queue[AlertEvent]
    overflowed: bool = False

    def offer(self, event: AlertEvent) -> None:
        """Queue ``event``, or mark the subscription as having to catch up from Redis."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True

    def reset(self) -> None:
        """Forget the queued events (the client re-reads them from Redis)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.overflowed = False


class AlertHub:
    """See the module docstring. Start it inside the event loop that serves the clients."""

    def __init__(
        self, reader: StreamReader, *, block_ms: int = BLOCK_MS, queue_size: int = QUEUE_SIZE
    ) -> None:
        self.reader = reader
        self.block_ms = block_ms
        self.queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._closing = False

    async def start(self) -> None:
        """Start reading at the stream's tail (once); returns when the first read is under way."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ward-alert-hub")
        await self._started.wait()

    async def close(self) -> None:
        """Stop reading and close the Redis client.

        A read cancelled in the middle of redis-py's connection handling can keep waiting after a
        dropped connection; closing the client's connections ends it, so shutdown never hangs.
        """
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait({task}, timeout=CLOSE_WAIT_S)
        await self.reader.close()
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=CLOSE_WAIT_S)
            if not task.done():
                log.warning("the alert stream reader did not stop within %.0f s", 2 * CLOSE_WAIT_S)

    @property
    def subscribers(self) -> int:
        """Clients following the stream now."""
        return len(self._subscribers)

    async def _run(self) -> None:
        cursor: StreamId | None = None
        failures = 0
        while True:
            try:
                if cursor is None:
                    cursor = await self.reader.tail()
                self._started.set()
                events = await self.reader.wait_after(cursor, block_ms=self.block_ms, count=BACKLOG_PAGE)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._closing:
                    return
                delay = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                log.warning("reading the alert stream failed (%s); retrying in %.1f s", exc, delay)
                self._started.set()
                await asyncio.sleep(delay)
                continue
            for event in events:
                if event.id is not None:
                    cursor = event.id
                for subscriber in self._subscribers:
                    subscriber.offer(event)

    async def _gap(self, after: StreamId) -> Gap | None:
        bounds = await patiently(self.reader.bounds)
        if bounds.last_generated < after:
            return Gap(
                after,
                bounds.last_generated,
                f"event id {after} is newer than the stream's last event ({bounds.last_generated}): "
                "the stream was reset; events since are sent from there",
            )
        if bounds.trimmed and bounds.first is not None and after < bounds.first:
            return Gap(
                after,
                after,
                f"events after {after} may have been dropped: the stream keeps the last {STREAM_MAXLEN} "
                f"events and starts at {bounds.first}",
            )
        return None

    async def _backlog(self, cursor: StreamId) -> AsyncIterator[AlertEvent]:
        while True:
            page = await patiently(functools.partial(self.reader.after, cursor, count=BACKLOG_PAGE))
            for event in page:
                yield event
                if event.id is not None:
                    cursor = event.id
            if len(page) < BACKLOG_PAGE:
                return

    async def follow(self, after: StreamId | None) -> AsyncIterator[AlertEvent | Gap | StreamId]:
        """Events after ``after`` (None: from now on), forever; see the module docstring.

        Yields, first, a :class:`Gap` when events may be missing, then the cursor the client starts
        at (a :class:`StreamId`: it is now subscribed), then :class:`AlertEvent`\\ s.
        """
        await self.start()
        subscription = Subscription(asyncio.Queue(self.queue_size))
        self._subscribers.add(subscription)
        try:
            if after is None:
                cursor = await patiently(self.reader.tail)
            else:
                cursor = after
                gap = await self._gap(after)
                if gap is not None:
                    yield gap
                    cursor = gap.resume_from
            yield cursor
            while True:
                async for event in self._backlog(cursor):
                    if event.id is not None and cursor < event.id:
                        cursor = event.id
                        yield event
                while not subscription.overflowed:
                    # an overflowed queue is full, so this never waits once catching up is needed
                    event = await subscription.queue.get()
                    if event.id is not None and cursor < event.id:
                        cursor = event.id
                        yield event
                subscription.reset()
        finally:
            self._subscribers.discard(subscription)

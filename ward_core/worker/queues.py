"""How many probe batch messages wait on the broker, read from the broker itself.

- Redis: ``waiting`` is the queue's list of message ids, ``in_flight`` the messages fetched by a
  worker and not yet acknowledged, ``delayed`` the retries waiting for their backoff, ``dead`` the
  dead-letter set;
- RabbitMQ: ``waiting``, ``delayed`` and ``dead`` from the three queues' message counts (RabbitMQ
  does not count unacknowledged messages as ready, and does not tell them apart here);
- in-process: the in-memory queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import dq_name, xq_name

from ward_core.worker.messages import QUEUE


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueDepth:
    """Messages of one queue by state; ``None`` where the broker cannot tell."""

    queue: str
    waiting: int
    delayed: int
    in_flight: int | None
    dead: int | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "queue": self.queue,
            "waiting": self.waiting,
            "delayed": self.delayed,
            "in_flight": self.in_flight,
            "dead": self.dead,
        }


def _redis(broker: RedisBroker, queue: str) -> QueueDepth:
    prefix = f"{broker.namespace}:"
    pipe = broker.client.pipeline(transaction=False)
    pipe.llen(prefix + queue)
    pipe.hlen(f"{prefix}{queue}.msgs")
    pipe.hlen(f"{prefix}{dq_name(queue)}.msgs")
    pipe.zcard(prefix + xq_name(queue))
    waiting, stored, delayed, dead = (int(v) for v in cast(list[Any], pipe.execute()))
    return QueueDepth(
        queue=queue, waiting=waiting, delayed=delayed, in_flight=max(0, stored - waiting), dead=dead
    )


def queue_depth(broker: Broker, queue: str = QUEUE) -> QueueDepth:
    """The depth of ``queue`` on ``broker`` (raises the broker's own error when it is unreachable)."""
    if isinstance(broker, RedisBroker):
        return _redis(broker, queue)
    if isinstance(broker, RabbitmqBroker):
        try:
            waiting, delayed, dead = broker.get_queue_message_counts(queue)
        finally:
            del broker.connection  # this thread's connection: scrapes come on short-lived threads
        return QueueDepth(queue=queue, waiting=waiting, delayed=delayed, in_flight=None, dead=dead)
    if isinstance(broker, StubBroker):
        queues = cast(dict[str, Any], broker.queues)
        main, later = queues.get(queue), queues.get(dq_name(queue))
        return QueueDepth(
            queue=queue,
            waiting=main.qsize() if main is not None else 0,
            delayed=later.qsize() if later is not None else 0,
            in_flight=None,
            dead=len(broker.dead_letters_by_queue.get(queue, [])),
        )
    raise TypeError(f"unsupported broker {type(broker).__name__}")

"""The one place ward makes a Dramatiq broker.

:func:`configure_broker` reads ``Settings.broker_url`` and returns

- ``redis://``, ``rediss://`` or ``unix://``: a :class:`~dramatiq.brokers.redis.RedisBroker` (keys
  under the ``ward`` namespace). A worker process that stops sending heartbeats for
  ``heartbeat_timeout_s`` is dead: the next broker command that runs queue maintenance moves the
  messages it had fetched but not acknowledged back to the queue;
- ``amqp://`` or ``amqps://``: a :class:`~dramatiq.brokers.rabbitmq.RabbitmqBroker` with publisher
  confirms; RabbitMQ itself redelivers the unacknowledged messages of a closed connection;
- no URL: the **in-process** mode, a :class:`~dramatiq.brokers.stub.StubBroker`. ``ward scheduler``
  then runs a Dramatiq :class:`~dramatiq.Worker` inside its own process, so batches go through the
  very same actor, retries and time limits as on a real broker, without any server.

The broker is also installed as Dramatiq's global broker, so that nothing ever falls back to
``dramatiq.get_broker()``'s lazily created default (RabbitMQ on localhost). A Redis or RabbitMQ
server that cannot be reached at start-up is a :class:`~ward_core.errors.BrokerError` naming the URL
(password masked).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit, urlunsplit

import dramatiq
import pika.exceptions
import redis
from dramatiq import Broker
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from ward_core.config import Settings
from ward_core.errors import BrokerError, ConfigError

log = logging.getLogger(__name__)

NAMESPACE = "ward"
"""Prefix of every Redis key ward's queues use."""

DEFAULT_HEARTBEAT_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5.0
SOCKET_TIMEOUT_S = 30.0
MAINTENANCE_SCALE = 1_000_000
"""Dramatiq's Redis broker expresses the maintenance chance per million commands."""


class BrokerKind(StrEnum):
    """Which broker a URL designates."""

    REDIS = "redis"
    RABBITMQ = "rabbitmq"
    IN_PROCESS = "in-process"


SCHEMES = {
    "redis": BrokerKind.REDIS,
    "rediss": BrokerKind.REDIS,
    "unix": BrokerKind.REDIS,
    "amqp": BrokerKind.RABBITMQ,
    "amqps": BrokerKind.RABBITMQ,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerOptions:
    """How a process uses the broker.

    ``heartbeat_timeout_s``: (Redis) how long a worker may stay silent before its unacknowledged
    messages are handed to other workers. Worker processes poll at least once a second, so a few
    seconds is safe; the default is Dramatiq's one minute.
    """

    heartbeat_timeout_s: float = DEFAULT_HEARTBEAT_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.heartbeat_timeout_s <= 0:
            raise ConfigError(f"heartbeat timeout must be positive, got {self.heartbeat_timeout_s:g} s")

    @property
    def maintenance_chance(self) -> int:
        """Per million Redis commands, how many also requeue the messages of dead workers.

        Chosen so that an idle worker process (about two commands a second) runs maintenance about
        once per half heartbeat timeout, and a dead worker's messages come back soon after it is
        declared dead.

        >>> BrokerOptions(heartbeat_timeout_s=60).maintenance_chance
        33333
        >>> BrokerOptions(heartbeat_timeout_s=2).maintenance_chance
        1000000
        """
        return min(MAINTENANCE_SCALE, int(MAINTENANCE_SCALE * 2.0 / self.heartbeat_timeout_s))


def broker_kind(url: str | None) -> BrokerKind:
    """The broker ``url`` designates; :class:`ConfigError` for a scheme ward does not know.

    >>> broker_kind("redis://127.0.0.1:6379/0")
    <BrokerKind.REDIS: 'redis'>
    >>> broker_kind(None)
    <BrokerKind.IN_PROCESS: 'in-process'>
    """
    if not url:
        return BrokerKind.IN_PROCESS
    scheme = urlsplit(url).scheme.lower()
    try:
        return SCHEMES[scheme]
    except KeyError:
        raise ConfigError(
            f"broker_url {display_broker_url(url)!r}: unknown scheme {scheme!r} "
            f"(use redis://, rediss://, unix://, amqp:// or amqps://, or leave it unset)"
        ) from None


def display_broker_url(url: str | None) -> str:
    """``url`` safe to print: the password replaced by ``***``.

    >>> display_broker_url("redis://:s3cret@cache:6379/2")
    'redis://:***@cache:6379/2'
    >>> display_broker_url("amqp://ward:s3cret@mq/")
    'amqp://ward:***@mq/'
    >>> display_broker_url(None)
    'in-process'
    """
    if not url:
        return BrokerKind.IN_PROCESS.value
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _redis_broker(url: str, options: BrokerOptions, check: bool) -> RedisBroker:
    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=url,
        namespace=NAMESPACE,
        heartbeat_timeout=int(options.heartbeat_timeout_s * 1000),
        maintenance_chance=options.maintenance_chance,
    )
    pool = broker.client.connection_pool
    pool.connection_kwargs.setdefault("socket_connect_timeout", CONNECT_TIMEOUT_S)
    pool.connection_kwargs.setdefault("socket_timeout", SOCKET_TIMEOUT_S)
    pool.connection_kwargs.setdefault("health_check_interval", 30)
    if check:
        try:
            broker.client.ping()
        except redis.RedisError as exc:
            broker.close()
            raise BrokerError(f"cannot reach the Redis broker at {display_broker_url(url)}: {exc}") from exc
    return broker


def _rabbitmq_broker(url: str, check: bool) -> RabbitmqBroker:
    separator = "&" if "?" in url else "?"
    timeout = "" if "connection_attempts" in url else f"{separator}connection_attempts=1&socket_timeout=5"
    broker = RabbitmqBroker(url=url + timeout, confirm_delivery=True)
    if check:
        try:
            _ = broker.connection
        except pika.exceptions.AMQPError as exc:
            broker.close()
            reason = str(exc) or type(exc).__name__
            raise BrokerError(
                f"cannot reach the RabbitMQ broker at {display_broker_url(url)}: {reason}"
            ) from exc
    return broker


def configure_broker(
    settings: Settings, options: BrokerOptions | None = None, *, check: bool = True
) -> Broker:
    """The broker ``settings.broker_url`` designates, installed as Dramatiq's global broker.

    With ``check`` (the default) a Redis or RabbitMQ server is contacted once now, so that a wrong
    or unreachable URL fails at start-up with a :class:`BrokerError` naming it.
    """
    options = options or BrokerOptions()
    url = settings.broker_url
    kind = broker_kind(url)
    broker: Broker
    if kind is BrokerKind.REDIS and url:
        broker = _redis_broker(url, options, check)
    elif kind is BrokerKind.RABBITMQ and url:
        broker = _rabbitmq_broker(url, check)
    else:
        broker = StubBroker()
    dramatiq.set_broker(broker)
    log.debug("broker: %s (%s)", display_broker_url(url), kind.value)
    return broker


def kind_of(broker: Broker) -> BrokerKind:
    """Which kind ``broker`` is."""
    if isinstance(broker, RedisBroker):
        return BrokerKind.REDIS
    if isinstance(broker, RabbitmqBroker):
        return BrokerKind.RABBITMQ
    return BrokerKind.IN_PROCESS

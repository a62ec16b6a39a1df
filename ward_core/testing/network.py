"""Real loopback sockets for probe tests: something that answers, and a port where nothing does."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class TcpListener:
    """A TCP server on loopback that accepts connections, counts them and closes them.

    >>> with TcpListener() as listener:
    ...     socket.create_connection((listener.host, listener.port)).close()
    ...     listener.wait_for(1)
    True
    """

    def __init__(self, host: str = "127.0.0.1", backlog: int = 512) -> None:
        self._sock = socket.create_server((host, 0), backlog=backlog)
        self._sock.settimeout(0.05)
        address = self._sock.getsockname()
        self.host: str = address[0]
        self.port: int = address[1]
        self._accepted = 0
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"tcp-listener-{self.port}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.close()
            with self._changed:
                self._accepted += 1
                self._changed.notify_all()

    @property
    def accepted(self) -> int:
        """Connections accepted so far."""
        with self._changed:
            return self._accepted

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until at least ``count`` connections were accepted; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._accepted >= count, timeout)

    def close(self) -> None:
        """Stop accepting and free the port."""
        self._stop.set()
        self._thread.join(timeout=2.0)
        self._sock.close()

    def __enter__(self) -> TcpListener:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def closed_tcp_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` where nothing listens (connecting is refused at once).

    It was free a moment ago; on a quiet test machine it stays free for the test.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port

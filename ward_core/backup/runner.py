"""A Nornir runner: threaded like Nornir's own, plus a cap on the hosts of one site in flight.

Nornir's ``ThreadedRunner`` hands hosts to its pool in inventory order, so a big site fills every
thread while small sites wait, and a per-site limit enforced inside the task would park threads
doing nothing. :class:`SiteCappedRunner` instead gives each free thread the first waiting host
whose site is below its cap: threads stay busy and no site sees more than ``per_site`` sessions.
A slow host holds one thread, never the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

NO_SITE = ""
"""The site key of hosts without a site: they share one cap."""


def site_of(host: Host) -> str:
    """The site a host belongs to (``data["site"]`` as WardInventory sets it)."""
    site = host.get("site")
    return str(site) if site else NO_SITE


class SiteCappedRunner:
    """Run a task on hosts with ``num_workers`` threads, at most ``per_site`` per site at once.

    ``site`` maps a host to its site key (default :func:`site_of`).
    """

    def __init__(
        self, num_workers: int = 20, per_site: int = 10, site: Callable[[Host], str] = site_of
    ) -> None:
        if num_workers < 1 or per_site < 1:
            raise ValueError(f"num_workers and per_site must be at least 1, got {num_workers}, {per_site}")
        self.num_workers = num_workers
        self.per_site = per_site
        self._site = site

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        """Nornir's runner interface: one result per host, in an AggregatedResult."""
        pending = list(hosts)
        busy: dict[str, int] = {}
        results: dict[str, MultiResult] = {}
        lock = threading.Condition()

        def next_host() -> Host | None:
            with lock:
                while True:
                    if not pending:
                        return None
                    for index, host in enumerate(pending):
                        site = self._site(host)
                        if busy.get(site, 0) < self.per_site:
                            busy[site] = busy.get(site, 0) + 1
                            return pending.pop(index)
                    lock.wait()

        def work() -> None:
            while (host := next_host()) is not None:
                try:
                    outcome = task.copy().start(host)
                finally:
                    with lock:
                        busy[self._site(host)] -= 1
                        lock.notify_all()
                results[host.name] = outcome

        threads = [
            threading.Thread(target=work, name=f"ward-backup-{n}", daemon=True)
            for n in range(min(self.num_workers, len(hosts)))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        aggregated = AggregatedResult(task.name)
        for host in hosts:
            if host.name in results:
                aggregated[host.name] = results[host.name]
        return aggregated

    def __repr__(self) -> str:
        return f"SiteCappedRunner(num_workers={self.num_workers}, per_site={self.per_site})"

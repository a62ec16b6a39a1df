"""A Nornir runner with a deadline per host, so that no device can hold a discovery forever.

Nornir's ``ThreadedRunner`` waits for every host. Topology collection calls plugins, which bound
their own sessions with timeouts, but a plugin that hangs anyway (a library stuck in a read)
would hold the whole batch. :class:`DeadlineRunner` stops waiting for a host once ``deadline_s``
have passed since its task started, records it as failed with
:class:`~ward_core.errors.DeviceTimeout`, and returns when every other host is done. The stuck
thread is abandoned (Python cannot kill it); it ends when the plugin's own timeout fires.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Result, Task

from ward_core.errors import DeviceTimeout

TICK_S = 0.05
"""Longest wait between two looks at the clock."""


class DeadlineRunner:
    """Run a task on hosts with ``num_workers`` threads; give up on a host after ``deadline_s``."""

    def __init__(self, num_workers: int, deadline_s: float) -> None:
        if num_workers < 1 or deadline_s <= 0:
            raise ValueError(f"num_workers must be >= 1 and deadline_s > 0, got {num_workers}, {deadline_s}")
        self.num_workers = num_workers
        self.deadline_s = deadline_s

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        """Nornir's runner interface: one result per host, overdue hosts failed."""
        results = AggregatedResult(task.name)
        started: dict[str, float] = {}
        lock = threading.Lock()

        def start(host: Host) -> MultiResult:
            with lock:
                started[host.name] = time.monotonic()
            return task.copy().start(host)

        pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="ward-topology")
        futures: dict[Future[MultiResult], Host] = {pool.submit(start, host): host for host in hosts}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=TICK_S, return_when=FIRST_COMPLETED)
                for future in done:
                    results[futures[future].name] = future.result()
                now = time.monotonic()
                with lock:
                    overdue = [
                        f
                        for f in pending
                        if futures[f].name in started and now - started[futures[f].name] > self.deadline_s
                    ]
                for future in overdue:
                    pending.discard(future)
                    host = futures[future]
                    results[host.name] = self._overdue(task, host)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return results

    def _overdue(self, task: Task, host: Host) -> MultiResult:
        failed = MultiResult(task.name)
        error = DeviceTimeout(f"no answer within {self.deadline_s:g} s; abandoned", device=host.name)
        failed.append(Result(host=host, name=task.name, failed=True, exception=error, result=None))
        return failed

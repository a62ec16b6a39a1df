"""The site-capped Nornir runner, on a real Nornir inventory, with a task that measures overlap."""

from __future__ import annotations

import threading
import time
from collections import Counter

from nornir.core import Nornir
from nornir.core.configuration import Config
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
from nornir.core.task import Result, Task

from ward_core.backup.runner import SiteCappedRunner


def _nornir(sites: dict[str, int]) -> Nornir:
    hosts = Hosts()
    for site, count in sites.items():
        for n in range(count):
            name = f"{site}-{n}"
            hosts[name] = Host(name=name, data={"site": site})
    return Nornir(inventory=Inventory(hosts=hosts, groups=Groups(), defaults=Defaults()), config=Config())


class _Overlap:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.total_now = 0
        self.total_most = 0

    def task(self, task: Task) -> Result:
        site = str(task.host.data["site"])
        with self.lock:
            self.now[site] += 1
            self.total_now += 1
            self.most[site] = max(self.most[site], self.now[site])
            self.total_most = max(self.total_most, self.total_now)
        time.sleep(0.05)
        with self.lock:
            self.now[site] -= 1
            self.total_now -= 1
        return Result(host=task.host, result=site)


def test_no_site_gets_more_than_its_cap_while_the_other_sites_use_the_free_threads() -> None:
    overlap = _Overlap()
    nr = _nornir({"big": 30, "small-a": 3, "small-b": 3}).with_runner(
        SiteCappedRunner(num_workers=10, per_site=4)
    )
    results = nr.run(task=overlap.task)
    assert len(results) == 36 and not results.failed
    assert overlap.most["big"] == 4
    assert overlap.most["small-a"] <= 4 and overlap.most["small-b"] <= 4
    assert overlap.total_most > 4
    assert {results[name][0].result for name in results} == {"big", "small-a", "small-b"}


def test_a_slow_host_holds_one_thread_only() -> None:
    def task(task: Task) -> Result:
        time.sleep(1.0 if task.host.name == "a-0" else 0.01)
        return Result(host=task.host, result=time.monotonic())

    started = time.monotonic()
    results = _nornir({"a": 20}).with_runner(SiteCappedRunner(num_workers=5, per_site=5)).run(task=task)
    others = [results[name][0].result - started for name in results if name != "a-0"]
    assert max(others) < 0.5
    assert results["a-0"][0].result - started >= 1.0

"""A 20-device lab in 4 branches, up for the whole test session (``ward_core.testing.lab``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ward_core.testing.lab import RunningLab, running_lab


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with running_lab(tmp_path_factory.mktemp("lab"), devices=20, sites=4) as started:
        yield started

"""Plugins are found through the ``ward.plugins`` entry points of installed distributions.

A throw-away distribution is built from a temporary folder and pip-installed into this
virtualenv, then ``ward plugins list --json`` (the installed console script, in a subprocess)
must show it, and must not once it is blocked. It is uninstalled afterwards.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ward_core.plugin_manager import HOOK_NAMES

WARD = Path(sys.executable).with_name("ward")


@dataclass(frozen=True)
class TempPlugin:
    name: str
    distribution: str
    module: str
    version: str


def ward(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``ward`` script with a clean WARD_* environment plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
    return subprocess.run(
        [str(WARD), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**clean, "COLUMNS": "200", **env},
        check=False,
    )


def listed(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    assert result.returncode == 0, result.stderr
    return {entry["name"]: entry for entry in json.loads(result.stdout)}


def pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def temp_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TempPlugin]:
    """A distribution with one probe plugin, installed from its own folder, uninstalled after."""
    suffix = uuid.uuid4().hex[:8]
    plugin = TempPlugin(
        name=f"tmpprobe{suffix}",
        distribution=f"ward-tmpprobe-{suffix}",
        module=f"ward_tmpprobe_{suffix}",
        version="1.2.3",
    )
    root = tmp_path_factory.mktemp("distribution")
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [build-system]
            requires = ["setuptools>=61", "wheel"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{plugin.distribution}"
            version = "{plugin.version}"

            [project.entry-points."ward.plugins"]
            {plugin.name} = "{plugin.module}"

            [tool.setuptools]
            py-modules = ["{plugin.module}"]
            """
        )
    )
    (root / f"{plugin.module}.py").write_text(
        textwrap.dedent(
            """
            from ward_core import hookimpl
            from ward_core.types import ProbeKind


            @hookimpl
            def ward_probe_kinds():
                return [ProbeKind(name="tmp.noop", description="does nothing", metrics=("tmp.value",))]


            @hookimpl
            def ward_probe_run(kind, devices, options):
                return None
            """
        )
    )
    pip("install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", str(root))
    try:
        yield plugin
    finally:
        pip("uninstall", "--quiet", "--yes", plugin.distribution)


def test_reference_plugin_is_listed_with_its_distribution(tmp_path: Path) -> None:
    reference = listed(ward("plugins", "list", "--json", cwd=tmp_path))["reference"]
    assert reference["distribution"] == "ward"
    assert reference["version"] == importlib.metadata.version("ward")
    assert reference["module"] == "ward_reference.plugin"
    assert set(reference["hooks"]) == HOOK_NAMES  # type: ignore[arg-type]


def test_installed_plugin_is_listed_and_blocking_removes_it(temp_plugin: TempPlugin, tmp_path: Path) -> None:
    plugins = listed(ward("plugins", "list", "--json", cwd=tmp_path))
    entry = plugins[temp_plugin.name]
    assert entry["distribution"] == temp_plugin.distribution
    assert entry["version"] == temp_plugin.version
    assert entry["module"] == temp_plugin.module
    assert entry["hooks"] == ["ward_probe_kinds", "ward_probe_run"]

    blocked = json.dumps([temp_plugin.name])
    plugins = listed(ward("plugins", "list", "--json", cwd=tmp_path, WARD_BLOCKED_PLUGINS=blocked))
    assert temp_plugin.name not in plugins
    assert "reference" in plugins

    table = ward("plugins", "list", cwd=tmp_path, WARD_BLOCKED_PLUGINS=blocked)
    assert table.returncode == 0, table.stderr
    assert f"blocked: {temp_plugin.name}" in table.stdout
    assert "reference" in table.stdout


def test_misspelled_hook_fails_start_up_naming_plugin_and_hook(tmp_path: Path) -> None:
    """Here the distribution is only put on PYTHONPATH, so no other ``ward`` run can see it."""
    site = tmp_path / "site"
    info = site / "ward_typo-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ward-typo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[ward.plugins]\ntypo = ward_typo\n")
    (site / "ward_typo.py").write_text(
        "from ward_core import hookimpl\n\n\n@hookimpl\ndef ward_probe_kind():\n    return []\n"
    )
    result = ward("plugins", "list", "--json", cwd=tmp_path, PYTHONPATH=str(site))
    assert result.returncode == 1
    assert (
        "error: plugin 'typo': implements 'ward_probe_kind' (did you mean 'ward_probe_kinds'?), "
        "which is not in ward's plugin contract"
    ) in result.stderr
    assert result.stdout == ""

"""A plugin manager holding only the plugin under test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ward_core.config import Settings
from ward_core.plugin_manager import WardPlugins


@contextmanager
def isolated_plugins(
    plugin: object, *, name: str = "plugin_under_test", settings: Settings | None = None
) -> Iterator[WardPlugins]:
    """Register ``plugin`` alone (no entry points), start it, and unconfigure it on exit.

    Registration and start-up errors (a misspelled hook, a broken declaration) raise
    :class:`~ward_core.errors.PluginError` as they would in production.
    """
    plugins = WardPlugins(settings or Settings(blocked_plugins=[]))
    plugins.register(plugin, name=name)
    plugins.start()
    try:
        yield plugins
    finally:
        plugins.close()

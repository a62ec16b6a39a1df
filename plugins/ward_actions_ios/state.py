"""What the plugin keeps from ``ward_configure``: the settings and the plugin manager (for the
redaction chain and the compliance report), and a database engine built on first use."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.db.session import get_engine
from ward_core.plugin_manager import WardPlugins


class PluginState:
    """Settings, plugins and a lazily built engine; reset by ``ward_unconfigure``."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.plugins: WardPlugins | None = None
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def configure(self, settings: Settings, plugins: WardPlugins) -> None:
        """Keep what the actions need."""
        self.close()
        self.settings, self.plugins = settings, plugins

    def require(self) -> tuple[Settings, WardPlugins]:
        """The settings and plugins; RuntimeError before ``ward_configure``."""
        if self.settings is None or self.plugins is None:
            raise RuntimeError("the ios-actions plugin was not configured")
        return self.settings, self.plugins

    def engine(self) -> Engine:
        """The engine on the configured database, built on first use."""
        settings, _ = self.require()
        with self._lock:
            if self._engine is None:
                self._engine = get_engine(settings)
            return self._engine

    def redact(self, platform: str, text: str) -> str:
        """``text`` through every plugin's redaction (unchanged before configuration)."""
        return self.plugins.redact_backup(platform, text) if self.plugins is not None else text

    def close(self) -> None:
        """Release the engine."""
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()


STATE = PluginState()
"""The plugin's state (a plugin module is loaded once per process)."""

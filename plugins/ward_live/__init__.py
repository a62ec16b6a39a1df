"""Ward's live alert feed: every alert that fires or resolves is appended to a Redis Stream.

The API serves the stream to browsers and dashboards (``/api/v1/alerts/stream``, see
:mod:`ward_core.api.live`); this plugin is the writing end, loaded in every process that evaluates
alert rules (``ward poll``, queue workers, ``ward alerts evaluate``). It writes to ``redis_url``,
else to ``broker_url`` when that is a Redis URL; with neither, it does nothing.
"""

PLUGIN = "live"

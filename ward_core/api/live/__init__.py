"""Live alert transitions: the Redis Stream they are appended to, and the WebSocket that serves it.

- :mod:`.events`: the event and its stream id;
- :mod:`.writer`: appending (the ``live`` plugin, in every process that evaluates alerts);
- :mod:`.stream` and :mod:`.hub`: reading, one blocking reader per API process fanned out to clients;
- :mod:`.websocket`: ``/api/v1/alerts/stream``.
"""

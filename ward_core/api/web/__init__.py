"""The approver's web page (``/ui``): server-rendered HTML for people who do not use the CLI.

- :mod:`.pages`: the routes (login, queue, one request, decide, status);
- :mod:`.session`: the session cookie and the CSRF token of the forms;
- :mod:`.requests_view`, :mod:`.config_diff`, :mod:`.status_view`: what the pages show;
- ``templates/`` and ``static/``: Jinja2 templates, the stylesheet and the live alert script.
"""

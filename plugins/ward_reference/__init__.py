"""Ward's reference plugin: every hook of the contract, each with small but real behaviour.

It is what ``CONTRIBUTING.md`` walks a plugin author through. The entry point
``reference = "ward_reference.plugin"`` in ward's ``pyproject.toml`` loads :mod:`ward_reference.plugin`,
which gathers the hook implementations from one module per hook family.
"""

PLUGIN = "reference"
"""The plugin's name: its entry-point name, used in errors and to block it."""

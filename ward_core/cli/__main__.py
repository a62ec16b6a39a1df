"""``python -m ward_core.cli``: the same as the ``ward`` command."""

from ward_core.cli import main

main()

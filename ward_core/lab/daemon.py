"""``python -m ward_core.lab.daemon SPEC_JSON``: the lab process that ``ward lab up`` starts."""

from __future__ import annotations

import sys
from pathlib import Path

from ward_core.lab.runtime import main

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m ward_core.lab.daemon SPEC_JSON")
    main(Path(sys.argv[1]))

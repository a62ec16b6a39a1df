"""Output modifiers after ``|``: ``include``, ``exclude``, ``begin``, ``section`` and ``count``.

The pattern is a regular expression searched anywhere in the line, as on IOS.
"""

from __future__ import annotations

import re

from ward_core.lab.ios.grammar import compile_commands

FILTER_TREE = compile_commands(
    [
        ("include LINE", "include"),
        ("exclude LINE", "exclude"),
        ("begin LINE", "begin"),
        ("section LINE", "section"),
        ("count", "count"),
        ("count LINE", "count"),
        *((word, None) for word in ("append", "format", "redirect", "tee")),
    ]
)


def _pattern(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error:
        return re.compile(re.escape(text))


def apply_filter(kind: str, expression: str, output: str) -> str:
    """Filter ``output`` (``\\n`` line ends) as ``| kind expression`` would.

    >>> text = "hostname r1\\ninterface Gi0/1\\n description up\\n!\\nend\\n"
    >>> apply_filter("include", "host", text)
    'hostname r1\\n'
    >>> apply_filter("section", "^interface", text)
    'interface Gi0/1\\n description up\\n'
    >>> apply_filter("count", "i", text)
    'Number of lines which match regexp = 2\\n'
    """
    pattern = _pattern(expression)
    lines = output.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if kind == "include":
        kept = [line for line in lines if pattern.search(line)]
    elif kind == "exclude":
        kept = [line for line in lines if not pattern.search(line)]
    elif kind == "begin":
        first = next((n for n, line in enumerate(lines) if pattern.search(line)), len(lines))
        kept = lines[first:]
    elif kind == "section":
        kept, inside = [], False
        for line in lines:
            if line.startswith(" ") and inside:
                kept.append(line)
            else:
                inside = bool(pattern.search(line))
                if inside:
                    kept.append(line)
    else:
        return f"Number of lines which match regexp = {sum(1 for line in lines if pattern.search(line))}\n"
    return "".join(f"{line}\n" for line in kept)

"""Where a character of a YAML scalar's value sits in its file, so that a problem found in a rule's
expression or message is reported at the file's line and column.

Plain and quoted scalars that span lines are folded by YAML (line breaks become spaces); literal
blocks (``|``) keep their lines; folded blocks (``>``) fold like plain scalars. The mapping walks
the scalar's source lines the same way. Escape sequences in double-quoted strings can shift the
column by the length of the escape.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import ScalarNode


@dataclass(frozen=True, slots=True)
class Segment:
    """One source line of a scalar: where its text starts in the file (0-based) and its length."""

    line: int
    column: int
    length: int


@dataclass(frozen=True, slots=True)
class ScalarOrigin:
    """Where a scalar's value came from, as segments joined by one character each (space or newline)."""

    segments: tuple[Segment, ...]

    def locate(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) in the file of the value's character at ``offset``.

        >>> ScalarOrigin((Segment(4, 10, 5), Segment(5, 6, 8))).locate(7)
        (6, 8)
        """
        if not self.segments:
            return (1, 1)
        remaining = offset
        for segment in self.segments:
            if remaining <= segment.length:
                return (segment.line + 1, segment.column + remaining + 1)
            remaining -= segment.length + 1
        last = self.segments[-1]
        return (last.line + 1, last.column + last.length + 1)


def scalar_origin(node: ScalarNode, source: str) -> ScalarOrigin:
    """The origin of ``node``'s value in ``source`` (the file's text)."""
    lines = source.splitlines()
    start, end = node.start_mark, node.end_mark
    style = node.style
    if style in ("|", ">"):
        stop = end.line if end.column == 0 else end.line + 1
        body = lines[start.line + 1 : stop]
        indents = [len(line) - len(line.lstrip(" ")) for line in body if line.strip()]
        indent = min(indents) if indents else 0
        segments = []
        for number, line in enumerate(body, start=start.line + 1):
            text = line[indent:] if style == "|" else line.strip()
            column = indent if style == "|" else len(line) - len(line.lstrip(" "))
            segments.append(Segment(number, column, len(text.rstrip())))
        return ScalarOrigin(tuple(segments))
    quoted = 1 if style in ("'", '"') else 0
    segments = []
    for number in range(start.line, end.line + 1):
        if number >= len(lines):
            break
        line = lines[number]
        first = start.column + quoted if number == start.line else len(line) - len(line.lstrip(" \t"))
        last = end.column - quoted if number == end.line else len(line.rstrip())
        segments.append(Segment(number, first, max(0, last - first)))
    return ScalarOrigin(tuple(segments))

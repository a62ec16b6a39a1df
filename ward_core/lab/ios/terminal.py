"""The vty of one session: keystrokes in, echo and output out, in the order IOS produces them.

IOS reads one keystroke at a time and echoes it when it reads it. Input typed ahead (netmiko sends
``command\\n`` in one write, and often several commands at once) is therefore echoed only after the
previous command's output and the next prompt, never early. This class does the same: one task
drains the input queue in order and awaits each command (and its ``reply_delay_ms``, which holds
command lines but not empty lines, passwords or ``[confirm]`` keys) before it looks at the next
keystroke.

Lines end in ``\\r\\n``; ``\\r``, ``\\n`` and ``\\r\\n`` all submit a line. Backspace edits, Ctrl-C
and Ctrl-Z leave configuration mode, escape sequences (arrow keys) are ignored. Output longer than
``terminal length`` stops at `` --More-- ``: space shows the next page, Enter one more line, any
other key ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

from ward_core.lab.ios.cli import IosCli, Reply

MORE = " --More-- "
ERASE_MORE = "\b" * len(MORE) + " " * len(MORE) + "\b" * len(MORE)


class Terminal:
    """Echo, line editing and paging between an SSH channel and an :class:`IosCli`."""

    def __init__(self, cli: IosCli, write: Callable[[str], None], close: Callable[[], None]) -> None:
        self.cli = cli
        self._write = write
        self._out: list[str] = []
        self._close = close
        self._input: deque[str] = deque()
        self._line: list[str] = []
        self._after_cr = False
        self._escape = False
        self._paging: list[str] | None = None
        self._close_after_paging = False
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    def start(self) -> None:
        """The first prompt, on a fresh line."""
        self._emit("\r\n" + self.cli.prompt)
        self._flush()

    def feed(self, data: str) -> None:
        """Queue keystrokes; they are handled in order by one task."""
        if self.closed:
            return
        self._input.extend(data)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    def stop(self) -> None:
        """The channel is gone: drop queued input and any command in progress."""
        self.closed = True
        self._input.clear()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def run_once(self, command: str) -> None:
        """``ssh device COMMAND``: run one command without prompts, then close."""
        reply = await self._execute(command)
        if not self.closed:
            self._emit(_crlf(reply.output))
            self._finish()
        self._flush()

    def _emit(self, text: str) -> None:
        """Queue output; it leaves in one write when the input at hand is handled (order kept)."""
        self._out.append(text)

    def _flush(self) -> None:
        if self._out:
            text, self._out = "".join(self._out), []
            if not self.closed:
                self._write(text)

    async def _drain(self) -> None:
        try:
            while self._input and not self.closed:
                await self._key(self._input.popleft())
        finally:
            self._flush()

    async def _key(self, key: str) -> None:
        after_cr, self._after_cr = self._after_cr, key == "\r"
        if self._paging is not None:
            if not (key == "\n" and after_cr):
                self._page_key(key)
            return
        if key == "\n" and after_cr:
            return
        kind = self.cli.input_kind
        if kind == "key":
            self._emit(_crlf(await self._submit_answer(key)))
            return
        if self._escape:
            self._escape = not (key.isalpha() or key == "~")
            return
        if key in "\r\n":
            await self._submit()
        elif key in "\x7f\b":
            if self._line:
                self._line.pop()
                if kind == "line":
                    self._emit("\b \b")
        elif key in "\x03\x1a":
            self._line.clear()
            self.cli.interrupt()
            self._emit(("^C" if key == "\x03" else "^Z") + "\r\n" + self.cli.prompt)
        elif key == "\x15":
            if kind == "line":
                self._emit("\b \b" * len(self._line))
            self._line.clear()
        elif key == "\x1b":
            self._escape = True
        elif key == "?" and kind == "line" and self.cli.question is None:
            text = "".join(self._line)
            self._emit("?\r\n" + _crlf(self.cli.help(text)) + self.cli.prompt + text)
        elif key >= " ":
            self._line.append(key)
            if kind == "line":
                self._emit(key)

    async def _submit_answer(self, key: str) -> str:
        reply = await self._execute(key)
        return self._show(reply)

    async def _submit(self) -> None:
        text = "".join(self._line)
        self._line.clear()
        self._emit("\r\n")
        reply = await self._execute(text)
        if not self.closed:
            self._emit(_crlf(self._show(reply)))

    async def _execute(self, text: str) -> Reply:
        device = self.cli.device
        if not device.reachable:
            self._finish()
            return Reply()
        if device.reply_delay_ms > 0 and text.strip() and self.cli.input_kind == "line":
            self._flush()
            await asyncio.sleep(device.reply_delay_ms / 1000)
        return self.cli.execute(text)

    def _show(self, reply: Reply) -> str:
        """Output to write now (the first page when it is long), prompt included."""
        lines = reply.output.split("\n")
        page = self.cli.length - 1
        if self.cli.length > 0 and len(lines) > page + 1:
            self._paging = lines[page:]
            self._close_after_paging = reply.close
            return "\n".join(lines[:page]) + "\n" + MORE
        if reply.close:
            self._finish(reply.output)
            return ""
        return reply.output + self.cli.prompt

    def _page_key(self, key: str) -> None:
        remaining = self._paging or []
        if key == " ":
            count = self.cli.length - 1
        elif key in "\r\n":
            count = 1
        else:
            count, remaining = 0, [""]
        shown, rest = remaining[:count], remaining[count:]
        if len(rest) > 1:
            self._paging = rest
            self._emit(_crlf(ERASE_MORE + "\n".join(shown) + "\n" + MORE))
            return
        self._paging = None
        text = ERASE_MORE + "\n".join(shown + rest)
        if self._close_after_paging:
            self._finish(text)
        else:
            self._emit(_crlf(text + self.cli.prompt))

    def _finish(self, last_output: str = "") -> None:
        if last_output:
            self._emit(_crlf(last_output))
        self._flush()
        self.closed = True
        self._input.clear()
        with contextlib.suppress(Exception):
            self._close()


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")

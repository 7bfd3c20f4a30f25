"""Reading a backup as a stream: the header first, then one row at a time.

A backup of millions of readings must not be loaded whole, and the standard library has no
streaming JSON parser; this one walks the two outer levels of the document by hand (the
top-level object, ``data`` and each model's array) and hands every row, and every header
value, to ``json.JSONDecoder.raw_decode``, refilling its buffer from the file as it goes. Any
valid JSON layout is read, not only the one the export writes; the one condition is that
``format`` and ``version`` come before ``data``, so a file of another kind or version is
refused before a row is written. Faults raise :class:`InvalidInput` with one line naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from backcast.services.platform.errors import InvalidInput

BUFFER = 1 << 20
WHITESPACE = " \t\n\r"


class JsonStream:
    """A cursor over a text stream that decodes one JSON value at a time."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name
        self.buffer = ""
        self.pos = 0
        self.consumed = 0  # characters dropped from the buffer's front so far
        self.eof = False
        self.decoder = json.JSONDecoder()

    def fault(self, message: str) -> InvalidInput:
        return InvalidInput(f"{self.name}: {message}")

    def fill(self) -> bool:
        """Read more of the file into the buffer; False at the end of the file."""
        if self.eof:
            return False
        more = self.stream.read(BUFFER)
        if not more:
            self.eof = True
            return False
        self.consumed += self.pos
        self.buffer = self.buffer[self.pos :] + more
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self.fill():
                return ""

    def expect(self, allowed: str, where: str) -> str:
        char = self.peek()
        if not char or char not in allowed:
            found = repr(char) if char else "the end of the file"
            wanted = " or ".join(repr(c) for c in allowed)
            raise self.fault(f"expected {wanted} {where}, found {found} at character {self.at()}")
        self.pos += 1
        return char

    def at(self) -> int:
        return self.consumed + self.pos + 1

    def value(self) -> Any:
        """Decode the next JSON value, reading on while it runs past the buffer's end."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self.fill():
                    continue
                raise self.fault(
                    f"not valid JSON at character {self.consumed + exc.pos + 1}: {exc.msg}"
                ) from None
            if end == len(self.buffer) and self.fill():
                continue  # a number may go on in the next block
            self.pos = end
            return value


def read_backup(
    stream: TextIO, name: str, check_header: Callable[[dict[str, Any]], None]
) -> Iterator[tuple[str, Any]]:
    """Yield ``(model label, row)`` for every row of the backup, in file order.

    ``check_header`` sees the header (every key before ``data``) before the first row is read
    and raises to refuse the file.
    """
    js = JsonStream(stream, name)
    if js.peek() != "{":
        raise js.fault("not a Backcast backup (a backup is one JSON object, from backcast export)")
    js.pos += 1
    header: dict[str, Any] = {}
    saw_data = False
    while js.peek() != "}":
        if header or saw_data:
            js.expect(",", "between the document's keys")
        key = js.value()
        if not isinstance(key, str):
            raise js.fault(f"expected a key at character {js.at()}")
        js.expect(":", f"after {key!r}")
        if key == "data" and not saw_data:
            check_header(header)
            saw_data = True
            yield from read_data(js)
        else:
            header[key] = js.value()
    if not saw_data:
        check_header(header)
        raise js.fault("the backup has no data")
    js.pos += 1
    if js.peek():
        raise js.fault(f"unexpected text after the backup at character {js.at()}")


def read_data(js: JsonStream) -> Iterator[tuple[str, Any]]:
    js.expect("{", "at the start of data")
    first = True
    while js.peek() != "}":
        if not first:
            js.expect(",", "between the models of data")
        first = False
        model = js.value()
        if not isinstance(model, str):
            raise js.fault(f"expected a model name at character {js.at()}")
        js.expect(":", f"after {model!r}")
        js.expect("[", f"at the start of the rows of {model}")
        first_row = True
        while js.peek() != "]":
            if not first_row:
                js.expect(",", f"between the rows of {model}")
            first_row = False
            yield model, js.value()
        js.pos += 1
    js.pos += 1

"""How ``@handles`` are written in comment bodies: found for notifying, marked for showing.

A handle is the local part of a member's e-mail address (``@ana`` for ana@plant.example),
matched without regard to case; when two members share a local part, the whole address
(``@ana@plant.example``) names one of them. A handle starts after a space, a line start or an
opening bracket, so ``ana@plant.example`` inside a sentence is an address, not a mention.
Pure text functions: who a handle names is decided in ``backcast.services.notify.mentions``.
"""

from __future__ import annotations

import re

MENTION = re.compile(
    r"(?<![\w@.+-])@((?:[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
)


def handles(body: str) -> set[str]:
    """The handles mentioned in ``body``, lower-cased."""
    return {m.group(1).lower() for m in MENTION.finditer(body)}


def split(body: str) -> list[tuple[str, bool]]:
    """``body`` cut into pieces of plain text (False) and mentions with their ``@`` (True)."""
    pieces: list[tuple[str, bool]] = []
    last = 0
    for m in MENTION.finditer(body):
        if m.start() > last:
            pieces.append((body[last : m.start()], False))
        pieces.append((m.group(0), True))
        last = m.end()
    if last < len(body):
        pieces.append((body[last:], False))
    return pieces

"""One-line text: titles and names hold no control characters; e-mail subjects are one line.

A goal's title, a KPI's or a team's name travels into e-mail subjects, chat messages, calendar
feeds, CSV and log lines. There a line break ends a header early or splits a record, and mail
refuses a subject with one outright, so every e-mail about the goal would fail. So titles and
names are refused with any C0 or C1 control character (line feed, carriage return, tab, NUL,
escape...) and with the Unicode line and paragraph separators: :func:`validate_one_line` is the
model fields' validator (forms and the admin run it through the models) and the services' check
(the API, the command line, imports and templates go through them).

Rows stored before the rule may still hold such characters, so what leaves as one line (an
e-mail's subject) is made one with :func:`one_line` as well.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# C0 controls, DEL and the C1 controls, plus U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MESSAGE = "must be one line, without line breaks, tabs or other control characters (found %(char)s)"


def validate_one_line(value: str) -> None:
    """Raise :class:`ValidationError` (code ``control_character``) naming the first one found."""
    found = CONTROL_CHARACTERS.search(value)
    if found is not None:
        char = f"U+{ord(found.group()):04X}"
        raise ValidationError(MESSAGE, code="control_character", params={"char": char})


def one_line(text: str) -> str:
    """``text`` on one line: control characters become spaces, runs of white space one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())

"""iCalendar (RFC 5545) text written by hand: all-day events, TEXT escaping, line folding.

Pure: no Django, no database, no clock (the stamp is a parameter). Only what the feeds need:
a VCALENDAR of all-day VEVENTs. Lines end in CRLF and are folded at 75 octets without splitting a
UTF-8 character; TEXT values escape backslashes, semicolons, commas and newlines, and lose the
control characters RFC 5545 does not allow in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

CRLF = "\r\n"
LINE_OCTETS = 75  # RFC 5545 3.1: lines SHOULD NOT be longer than 75 octets, excluding the CRLF
PRODID = "-//Backcast//Calendar feeds//EN"
# Every control character but HTAB; newlines are escaped before this runs.
CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Event:
    """One all-day event: ``start`` is its first day, ``end`` the day after its last (exclusive).

    ``sequence`` and ``modified`` tell calendar apps which version of the event is newer.
    """

    uid: str
    start: date
    end: date
    summary: str
    description: str = ""
    url: str = ""
    sequence: int = 0
    modified: datetime | None = None
    categories: tuple[str, ...] = ()


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): ``\\`` ``;`` ``,`` and newlines escaped, other controls dropped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return CONTROLS.sub("", value)


def fold(line: str) -> str:
    """One content line folded into physical lines of at most 75 octets, joined by CRLF + space.

    Splits only between characters, so a multi-octet UTF-8 character is never cut in two; each
    continuation line starts with one space, which counts towards its 75 octets.
    """
    if len(line.encode("utf-8")) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1
        current.append(char)
        size += width
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form, e.g. ``20270105T093000Z``; ``moment`` must be aware."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined instant")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def day(value: date) -> str:
    """A DATE value, e.g. ``20270105``."""
    return value.strftime("%Y%m%d")


def event_lines(event: Event, stamp: datetime) -> Iterator[str]:
    """The content lines of one VEVENT, unfolded."""
    if event.end <= event.start:
        raise ValueError(f"event {event.uid} ends on or before its start")
    yield "BEGIN:VEVENT"
    yield f"UID:{escape_text(event.uid)}"
    yield f"DTSTAMP:{utc_stamp(stamp)}"
    yield f"DTSTART;VALUE=DATE:{day(event.start)}"
    yield f"DTEND;VALUE=DATE:{day(event.end)}"
    yield f"SUMMARY:{escape_text(event.summary)}"
    if event.description:
        yield f"DESCRIPTION:{escape_text(event.description)}"
    if event.url:
        yield f"URL;VALUE=URI:{CONTROLS.sub('', event.url)}"
    if event.categories:
        yield "CATEGORIES:" + ",".join(escape_text(c) for c in event.categories)
    yield f"SEQUENCE:{event.sequence}"
    if event.modified is not None:
        yield f"LAST-MODIFIED:{utc_stamp(event.modified)}"
    yield "TRANSP:TRANSPARENT"  # a milestone spans days of work; it does not make anyone busy
    yield "END:VEVENT"


def calendar(name: str, events: Iterable[Event], stamp: datetime, refresh_minutes: int = 60) -> str:
    """A whole VCALENDAR as text with CRLF line endings, every line folded.

    ``name`` is shown by calendar apps as the calendar's title (``NAME`` of RFC 7986 and the
    older ``X-WR-CALNAME``); ``refresh_minutes`` suggests how often to fetch it again.
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(name)}",
        f"X-WR-CALNAME:{escape_text(name)}",
        f"REFRESH-INTERVAL;VALUE=DURATION:PT{refresh_minutes}M",
        f"X-PUBLISHED-TTL:PT{refresh_minutes}M",
    ]
    for event in events:
        lines.extend(event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)

"""A reader of PSPLIB single-mode ``.sm`` instances (Kolisch and Sprecher, 1996), from their text.

The standard RCPSP benchmark is how the levelling solver's quality is measured. The reader takes
the file's text, not a path, because the planning core does no I/O. Jobs keep their order (the
dummy source and sink included, with zero duration); PSPLIB's finish-to-start precedences become
lags ``(i, j, durations[i])``.
"""

from __future__ import annotations

from backcast.planning.levelling.problem import LevellingProblem


def _section(lines: list[str], title: str) -> list[list[str]]:
    """The rows of whitespace-separated fields after the line starting with ``title``.

    Rows run to the next ``****`` rule; lines without a leading number (headers, dashes) are
    skipped, except in the resource section whose single row of capacities follows a name line.
    """
    for k, line in enumerate(lines):
        if line.startswith(title):
            rows: list[list[str]] = []
            for row in lines[k + 1 :]:
                if row.startswith("*"):
                    return rows
                fields = row.split()
                if fields and fields[0].lstrip("-").isdigit():
                    rows.append(fields)
            return rows
    raise ValueError(f"no {title!r} section: not a PSPLIB .sm file")


def parse_sm(text: str) -> LevellingProblem:
    """The levelling problem of a PSPLIB ``.sm`` file's text; ``ValueError`` if it is malformed."""
    lines = text.splitlines()
    precedence = _section(lines, "PRECEDENCE RELATIONS:")
    requests = _section(lines, "REQUESTS/DURATIONS:")
    availability = _section(lines, "RESOURCEAVAILABILITIES:")
    try:
        capacities = [int(x) for x in availability[0]]
        durations: list[int] = []
        demands: list[list[int]] = []
        for k, row in enumerate(requests):
            if int(row[0]) != k + 1 or len(row) != 3 + len(capacities):
                raise ValueError(f"bad request row for job {k + 1}: {' '.join(row)}")
            durations.append(int(row[2]))
            demands.append([int(x) for x in row[3:]])
        lags: list[tuple[int, int, int]] = []
        for row in precedence:
            i = int(row[0]) - 1
            count = int(row[2])
            successors = row[3:]
            if len(successors) != count or not 0 <= i < len(durations):
                raise ValueError(f"bad precedence row for job {i + 1}: {' '.join(row)}")
            lags.extend((i, int(s) - 1, durations[i]) for s in successors)
    except IndexError as exc:
        raise ValueError("truncated PSPLIB .sm file") from exc
    return LevellingProblem(durations, demands, capacities, lags)

"""The serial schedule generation scheme and forward-backward improvement (justification).

Serial SGS takes activities in a precedence-feasible list and puts each at the earliest period
where its lags and every resource allow it, given those already placed. Every schedule it makes
is left-justified, and every left-justified schedule is made by some list, so searching over
lists loses nothing. Forward-backward improvement re-schedules a schedule right-justified (in the
mirror network, latest finish first) and then left-justified again; it often shortens the
makespan and never lengthens it much, which is why good RCPSP heuristics all use it.

This is the hot loop, so it avoids per-period Python work: with capacities up to 255 free units
live in bytearrays and windows are tested with ``bytes.translate`` and big-integer shifts;
otherwise in lists, tested with ``min`` over slices. Capacity changes only change how the free
rows begin (the dense head of :mod:`.profile`) and add one test per activity: one that needs more
than the capacity after the last change must fit before it, or :class:`.profile.NoSchedule`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from backcast.planning.levelling.problem import Network, list_by, makespan
from backcast.planning.levelling.profile import NoSchedule, mirror_head, rows


def serial_sgs(net: Network, order: Sequence[int]) -> list[int]:
    """Starts of the left-justified schedule that places activities in ``order`` (lag-feasible).

    Each activity starts at the first period at or after its lag bound (and 0) where every
    resource it uses has its units free for its whole duration. The horizon grows as needed, so
    a schedule always exists once every demand fits its capacity (checked by the compiler); with
    capacity changes, :class:`NoSchedule` when an activity finds no window of enough capacity.
    """
    if net.tables is not None:
        return _bytes_sgs(net, net.tables, order)
    return _list_sgs(net, order)


def _bytes_sgs(net: Network, tables: list[list[tuple[int, bytes, bytes]]], order: Sequence[int]) -> list[int]:
    """Serial SGS with free capacity in bytearrays (every capacity <= 255): the fast path.

    For an activity, each resource's free units from its lag bound to the current end of the
    schedule are translated into 0/1 "too few" bytes, read as one big integer and OR-ed; OR-ing
    it with itself shifted by up to ``duration - 1`` periods marks every start whose window is
    blocked, and the first zero byte is the answer. After the end everything is free.
    """
    durations, preds, tight = net.durations, net.preds, net.short
    head = 0 if net.head is None else len(net.head[0])
    horizon = max(64, 2 * sum(durations)) + head
    if net.head is None:
        free = [bytearray([cap]) * horizon for cap in net.capacities]
    else:
        free = [bytearray(row) for row in rows(net.head, net.capacities, horizon)]
    from_bytes = int.from_bytes
    start = [0] * net.n
    top = head  # every period from here on is entirely free (at the capacity after the changes)
    for j in order:
        t = 0
        for i, delta in preds[j]:
            v = start[i] + delta
            if v > t:
                t = v
        use = tables[j]
        if use:
            dur = durations[j]
            size = 4 * dur + 128  # look at a chunk first: long schedules have long free tails
            while t < top:
                stop = t + size
                if stop > top:
                    stop = top
                blocked = 0
                for r, short, _ in use:
                    blocked |= from_bytes(free[r][t:stop].translate(short), "little")
                if not blocked:
                    break
                span = 1
                while span < dur:
                    step = span if span <= dur - span else dur - span
                    blocked |= blocked >> (8 * step)
                    span += step
                # a start k is known free if its whole window lies in the chunk or past ``top``
                limit = stop - t if stop == top else stop - t - dur + 1
                k = blocked.to_bytes(stop - t, "little").find(0, 0, limit)
                if k >= 0:
                    t += k
                    break
                t += limit
                size *= 2
            end = t + dur
            if tight is not None and tight[j] and end > top:
                raise NoSchedule(j)
            if end > top:
                top = end
                if top > horizon:
                    extra = max(top - horizon, horizon)
                    for r, cap in enumerate(net.capacities):
                        free[r].extend(bytearray([cap]) * extra)
                    horizon += extra
            for r, _, minus in use:
                row = free[r]
                row[t:end] = row[t:end].translate(minus)
        start[j] = t
    return start


def _list_sgs(net: Network, order: Sequence[int]) -> list[int]:
    """Serial SGS with free capacity in lists of ints: any capacity, a few times slower.

    A window is tested with ``min`` over a slice per resource; on failure the start jumps past the
    last blocked period, and periods already known to fit are not tested again.
    """
    durations, preds, uses, caps, short = net.durations, net.preds, net.uses, net.capacities, net.short
    head = 0 if net.head is None else len(net.head[0])
    horizon = max(64, 2 * sum(durations)) + head
    free = rows(net.head, caps, horizon)
    start = [0] * net.n
    for j in order:
        t = 0
        for i, delta in preds[j]:
            v = start[i] + delta
            if v > t:
                t = v
        use = uses[j]
        if use:
            dur = durations[j]
            checked = t  # periods in [t, checked) are known to fit
            while True:
                end = t + dur
                if short is not None and short[j] and end > head:
                    raise NoSchedule(j)
                if end > horizon:
                    extra = max(end - horizon, horizon)
                    for r, cap in enumerate(caps):
                        free[r].extend([cap] * extra)
                    horizon += extra
                lo = checked if checked > t else t
                fail = -1
                for r, q in use:
                    row = free[r]
                    if min(row[lo:end]) < q:
                        p = end - 1
                        while row[p] >= q:
                            p -= 1
                        if p > fail:
                            fail = p
                if fail < 0:
                    break
                t = fail + 1
                checked = end
            for r, q in use:
                row = free[r]
                for p in range(t, end):
                    row[p] -= q
        start[j] = t
    return start


def backward_pass(net: Network, mirror: Network, starts: Sequence[int]) -> list[int]:
    """A right-justified schedule (in forward time) from the latest-finish-first order of ``starts``.

    ``mirror`` is ``net.reversed()``. The result keeps the activities' order of finishing as far as
    the lags allow and packs them against the makespan of the mirror schedule. With capacity
    changes the mirror is read back from the makespan of ``starts``, which the result keeps, so
    each period keeps its own capacity; when the mirror schedule finds no room within it,
    ``starts`` is returned as it is.
    """
    d = net.durations
    order = list_by(mirror, [-(starts[j] + d[j]) for j in range(net.n)])
    if net.head is None:
        back = serial_sgs(mirror, order)
        horizon = makespan(net, back)
    else:
        horizon = makespan(net, starts)
        short = [bool(use) for use in net.uses]
        mirror = replace(mirror, head=mirror_head(net.head, net.capacities, horizon), short=short)
        mirror = replace(mirror, capacities=[0] * len(net.capacities))
        try:
            back = serial_sgs(mirror, order)
        except NoSchedule:
            return list(starts)
        # an activity using nothing can still be pushed past the horizon: keep ``starts`` then
        back = back if makespan(net, back) <= horizon else [horizon - starts[j] - d[j] for j in range(net.n)]
    return [horizon - back[j] - d[j] for j in range(net.n)]


def forward_pass(net: Network, starts: Sequence[int]) -> list[int]:
    """The left-justified schedule from the earliest-start-first order of ``starts``."""
    return serial_sgs(net, list_by(net, starts))


def justify(net: Network, mirror: Network, starts: list[int], passes: int) -> list[int]:
    """Forward-backward improvement: up to ``passes`` backward+forward rounds, stopping early.

    Returns the best left-justified schedule seen (``starts`` itself if nothing beat it), so the
    result is never worse than the input and is always a forward serial-SGS schedule.
    """
    best, best_span = starts, makespan(net, starts)
    current = starts
    for _ in range(passes):
        try:
            current = forward_pass(net, backward_pass(net, mirror, current))
        except NoSchedule:
            break
        span = makespan(net, current)
        if span >= best_span:
            break
        best, best_span = current, span
    return best


def left_shift(net: Network, starts: Sequence[int]) -> list[int]:
    """``starts`` with activities moved earlier one at a time until none can move alone.

    Each sweep takes activities by start time and puts each at the earliest period that its
    lags (given the others) and the capacity left by all the others allow; a move can unblock
    others, so sweeps repeat until nothing moves. Starts never increase, so the makespan never
    grows; the result is left-justified. This turns any feasible schedule (CP-SAT's) into the
    left-justified kind :func:`solve` promises.
    """
    durations, preds, uses = net.durations, net.preds, net.uses
    result = list(starts)
    free = rows(net.head, net.capacities, makespan(net, starts) + 1)
    for j in range(net.n):
        for r, q in uses[j]:
            row = free[r]
            for p in range(result[j], result[j] + durations[j]):
                row[p] -= q
    moved = True
    while moved:
        moved = False
        for j in sorted(range(net.n), key=result.__getitem__):
            t = 0
            for i, delta in preds[j]:
                t = max(t, result[i] + delta)
            if t >= result[j]:
                continue
            dur, now = durations[j], result[j]
            for r, q in uses[j]:
                row = free[r]
                for p in range(now, now + dur):
                    row[p] += q
            while any(min(free[r][t : t + dur]) < q for r, q in uses[j]):
                t += 1
            for r, q in uses[j]:
                row = free[r]
                for p in range(t, t + dur):
                    row[p] -= q
            if t < now:
                result[j] = t
                moved = True
    return result

"""How much search a call may spend: a count of generated schedules, capped by the wall clock.

Counting schedules (rather than watching the clock) makes a run reproducible for the same input
and seed, on any machine fast enough; the wall-clock deadline (``time.perf_counter``, never the
date) is only a safety cap for a machine much slower than the one the costs were measured on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from backcast.planning.levelling.problem import Network

# Microseconds one justified schedule of the genetic search costs, fitted on PSPLIB j30 and j120
# and on small random networks (2-core shared VM, CPython 3.11; median error about 4%): a fixed
# part, then per activity, per (activity, resource) use and per period of the first schedule.
COST_FIXED = 2.0
COST_ACTIVITY = 0.6
COST_USE = 0.4
COST_PERIOD = 0.22


@dataclass(slots=True)
class Budget:
    """A schedule count to spend, a wall-clock deadline, and the lower bound that ends search early.

    ``schedules`` is the number of serial-SGS passes allowed; ``deadline`` a ``perf_counter``
    instant; ``bound`` a makespan no schedule can beat, so reaching it stops everything.
    """

    schedules: int
    deadline: float
    bound: int
    used: int = 0

    def spend(self, count: int = 1) -> None:
        """Record ``count`` generated schedules."""
        self.used += count

    def exhausted(self) -> bool:
        """True once the schedule count is spent or the wall clock has passed the deadline."""
        return self.used >= self.schedules or time.perf_counter() >= self.deadline


def schedules_for(seconds: float, net: Network, span: int) -> int:
    """How many schedules of ``net`` (first makespan ``span``) fit in ``seconds`` by the cost model."""
    uses = sum(len(u) for u in net.uses)
    micros = COST_FIXED + COST_ACTIVITY * net.n + COST_USE * uses + COST_PERIOD * span
    return int(seconds * 1e6 / micros)

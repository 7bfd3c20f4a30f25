"""Resource levelling: the shortest schedule of activities under start lags and capacities.

The problem is the resource-constrained project scheduling problem (RCPSP) with generalized
minimal start-to-start lags. The planner calls :func:`solve` on the *reversed* network to plan
backward from a deadline, so "as early as possible" here is "as late as possible" for the user.
Pure: no I/O, no clock beyond a wall-clock budget read with ``time.perf_counter``.
"""

from backcast.planning.levelling.problem import LevellingProblem, critical_path_bound
from backcast.planning.levelling.solver import solve

__all__ = ["LevellingProblem", "critical_path_bound", "solve"]

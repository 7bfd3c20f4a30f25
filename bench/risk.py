"""Speed of the Monte Carlo schedule risk on a large random plan.

Not a test: it builds a random plan (deterministic seed) of FS/SS/FF dependencies with lags and
leads, most milestones with three-point estimates, times ``simulate`` (best of ``--repeat``) and
prints one line. The requirement is 10,000 runs of 1,000 milestones and 3,000 dependencies in at
most 2 s.

    .venv/bin/python bench/risk.py                                   # the requirement's size
    .venv/bin/python bench/risk.py --milestones 200 --dependencies 500 --runs 1000
"""

from __future__ import annotations

import argparse
import random
import time

from backcast.planning.model import Kind
from backcast.planning.risk import Edge, simulate


def random_plan(
    milestones: int, dependencies: int, seed: int
) -> tuple[list[int], list[tuple[float, float, float] | None], list[Edge]]:
    """Durations, estimates (one in five fixed) and distinct edges from lower to higher index."""
    rnd = random.Random(seed)
    durations = [rnd.randint(0, 20) for _ in range(milestones)]
    estimates: list[tuple[float, float, float] | None] = []
    for d in durations:
        if rnd.random() < 0.2:
            estimates.append(None)
        else:
            estimates.append((max(0.0, d - rnd.uniform(0, 3)), float(d), d + rnd.uniform(0, 10)))
    kinds: list[Kind] = ["FS", "FS", "FS", "SS", "FF"]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < dependencies:
        i, j = sorted(rnd.sample(range(milestones), 2))
        pairs.add((i, j))
    edges = [Edge(i, j, rnd.choice(kinds), rnd.randint(-3, 5)) for i, j in sorted(pairs)]
    return durations, estimates, edges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--milestones", type=int, default=1000)
    parser.add_argument("--dependencies", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="time this many times, print the best")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    durations, estimates, edges = random_plan(args.milestones, args.dependencies, args.seed)
    order = range(args.milestones)  # every edge goes from a lower to a higher index
    # The deadline: the planned finish plus 10 %; estimates skewed late make it a real question.
    planned = simulate(
        durations, [None] * len(durations), edges, order, start=0, deadline_end=0, runs=1, seed=0
    )
    deadline_end = planned.finish_p50 + 1 + planned.finish_p50 // 10
    best = float("inf")
    for _ in range(args.repeat):
        tick = time.perf_counter()
        result = simulate(
            durations,
            estimates,
            edges,
            order,
            start=0,
            deadline_end=deadline_end,
            runs=args.runs,
            seed=args.seed,
        )
        best = min(best, time.perf_counter() - tick)
    print(
        f"risk: {args.milestones} milestones, {args.dependencies} dependencies, {args.runs} runs: {best:.2f} s"
        f" (on time {result.probability_on_time:.2f}, p50/p80/p95 day "
        f"{result.finish_p50}/{result.finish_p80}/{result.finish_p95})"
    )


if __name__ == "__main__":
    main()

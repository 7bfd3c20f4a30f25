"""Levelling quality on PSPLIB (j30 against optima, j120 against the critical-path bound), and scale.

Not a test: it reads the benchmark files, times the solver instance by instance (one process, one
core), validates every schedule independently and prints the figures the README quotes.

    .venv/bin/python bench/psplib.py --set all              # the full benchmark
    .venv/bin/python bench/psplib.py --set j30 --limit 40   # a quick look
    .venv/bin/python bench/psplib.py --scale                # 2,000 activities, 5,000 lags, 5 resources

Other benchmarks can reuse ``scale_problem`` and ``run_scale`` (``sys.path`` must hold ``bench/``).
OR-Tools is imported once before the timed runs, as a long-running server process would.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from backcast.planning.levelling import LevellingProblem, critical_path_bound, solve
from backcast.planning.levelling.check import violations
from backcast.planning.levelling.exact import load_cp_model
from backcast.planning.levelling.psplib import parse_sm

DATA = Path("/work/shared/data/psplib")


def reference(csv: Path, column: str) -> dict[str, int]:
    """Per instance file name, the value of ``column`` in a PSPLIB summary CSV (``;``-separated)."""
    header: list[str] | None = None
    values: dict[str, int] = {}
    for line in csv.read_text(encoding="latin-1").splitlines():
        fields = line.split(";")
        if fields[0] == "ID" and len(fields) > 5:
            header = fields
        elif header and fields[0].isdigit() and len(fields) == len(header):
            values[fields[1]] = int(fields[header.index(column)])
    return values


def instance_key(name: str) -> tuple[int, int]:
    """Sort ``j3012_7.sm`` as (12, 7): parameter set, then instance."""
    stem = name.split(".")[0]
    prefix, inst = stem.split("_")
    digits = prefix[3:] if prefix.startswith("j30") else prefix[4:]
    return int(digits), int(inst)


def run_set(name: str, limit: int | None, time_limit: float, seed: int, sample: int | None = None) -> bool:
    """Solve one set, validate, print the summary line; False if any schedule was invalid."""
    if name == "j30":
        ref = reference(DATA / "J30.csv", "OPT value")
        what = "optimum"
    else:
        ref = reference(DATA / "J120_0.csv", "CPM")
        what = "CPM bound"
    files = sorted((DATA / name).glob("*.sm"), key=lambda p: instance_key(p.name))
    if sample:
        files = sorted(random.Random(5).sample(files, sample), key=lambda p: instance_key(p.name))
    if limit:
        files = files[:limit]
    gaps: list[float] = []
    seconds: list[float] = []
    at_bound = 0
    ok = True
    for path in files:
        problem = parse_sm(path.read_text())
        tick = time.perf_counter()
        starts = solve(problem, time_limit=time_limit, seed=seed)
        seconds.append(time.perf_counter() - tick)
        broken = violations(problem, starts)
        if broken:
            ok = False
            print(f"{path.name}: INVALID: {broken[0]}", file=sys.stderr)
        span = max(s + d for s, d in zip(starts, problem.durations, strict=True))
        target = ref[path.name]
        if name == "j120":
            assert target == critical_path_bound(problem), path.name
        if span < target and name == "j30":
            print(f"{path.name}: makespan {span} below the optimum {target}?", file=sys.stderr)
        gaps.append(100.0 * (span - target) / target)
        at_bound += span == target
    print(
        f"{name}: {len(files)} instances, mean {statistics.fmean(gaps):.2f}% above the {what}, "
        f"mean {statistics.fmean(seconds):.3f} s, max {max(seconds):.3f} s per instance, "
        f"{at_bound} at the {what}" + ("" if ok else ", SOME SCHEDULES INVALID")
    )
    return ok


def scale_problem(n: int = 2000, n_lags: int = 5000, n_res: int = 5, seed: int = 1) -> LevellingProblem:
    """A random acyclic network the size of a big plan: ``n`` activities, ``n_lags`` lags.

    Lags go forward in index order (so the graph is acyclic) between nearby activities, a tenth
    of them leads; durations 1-20, demands 0-3 of capacities 4-8 — tight enough to level.
    """
    rng = random.Random(seed)
    durations = [rng.randint(1, 20) for _ in range(n)]
    demands = [[rng.choice((0, 0, 1, 2, 3)) for _ in range(n_res)] for _ in range(n)]
    capacities = [rng.randint(4, 8) for _ in range(n_res)]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < n_lags:
        i = rng.randrange(n - 1)
        pairs.add((i, min(n - 1, i + 1 + int(rng.expovariate(1 / 30)))))
    lags = [(i, j, durations[i] if rng.random() < 0.9 else -rng.randint(0, 5)) for i, j in sorted(pairs)]
    return LevellingProblem(durations, demands, capacities, lags)


def run_scale(time_limit: float | None, seed: int) -> bool:
    """Time ``solve`` (default time limit unless given) on the big random network.

    True if the schedule is valid and the whole call, compiling included, took at most 3 s.
    """
    problem = scale_problem()
    tick = time.perf_counter()
    if time_limit is None:
        starts = solve(problem, seed=seed)
    else:
        starts = solve(problem, time_limit=time_limit, seed=seed)
    elapsed = time.perf_counter() - tick
    broken = violations(problem, starts)
    span = max(s + d for s, d in zip(starts, problem.durations, strict=True))
    print(
        f"scale: {len(problem.durations)} activities, {len(problem.lags)} lags, "
        f"{len(problem.capacities)} resources: {elapsed:.2f} s, makespan {span} "
        f"(critical path {critical_path_bound(problem)}), {'valid' if not broken else broken[0]}"
    )
    return not broken and elapsed <= 3.0


def main() -> int:
    """Parse the options and run the chosen sets; exit status 1 if a schedule was invalid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("j30", "j120", "all"), default="j30")
    parser.add_argument("--limit", type=int, default=None, help="only the first N instances of each set")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per instance")
    parser.add_argument(
        "--sample", type=int, default=None, help="a fixed random sample of N instances per set"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", action="store_true", help="only the 2,000-activity scale check")
    args = parser.parse_args()
    if args.scale:
        return 0 if run_scale(args.time_limit, args.seed) else 1
    load_cp_model()  # untimed: a process imports OR-Tools once (about 0.3 s), not once per plan
    ok = True
    for name in ("j30", "j120") if args.set == "all" else (args.set,):
        default = 0.3 if name == "j30" else 2.0
        ok &= run_set(name, args.limit, args.time_limit or default, args.seed, args.sample)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

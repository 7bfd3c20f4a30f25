"""``backcast plan FILE``: plan a plan file offline (placeholder until the engine lands)."""

from __future__ import annotations

from pathlib import Path

import typer


def plan(
    file: Path = typer.Argument(..., help="A plan file (YAML or JSON)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON object."),
    simulate: int = typer.Option(0, "--simulate", help="Monte Carlo runs of the schedule risk."),
    seed: int | None = typer.Option(None, "--seed", help="Seed that makes --simulate reproducible."),
) -> None:
    """Plan FILE backward from its deadline and print the plan."""
    raise typer.Exit(1)

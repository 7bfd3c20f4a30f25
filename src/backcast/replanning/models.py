"""Baselines and scenarios of goals' plans."""

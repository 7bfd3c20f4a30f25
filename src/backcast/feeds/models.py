"""Secrets of calendar feeds."""

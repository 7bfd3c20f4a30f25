"""Errors a service raises for bad input; interfaces turn them into a 4xx, a form error or exit 2."""

from __future__ import annotations


class InvalidInput(ValueError):
    """The request cannot be carried out as given. ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

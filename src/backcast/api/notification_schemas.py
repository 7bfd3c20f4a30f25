"""Shapes of the review-participation answer."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field


class PeriodParticipationOut(Schema):
    start: date = Field(description="First day of the review period (the organisation's calendar)")
    end: date = Field(description="Last day of the review period, included")
    checked_in: list[str] = Field(description="E-mail addresses of the owner and contributors who checked in")
    missing: list[str] = Field(description="E-mail addresses of those who did not")


class ParticipationOut(Schema):
    goal: int
    cadence: str
    today: date
    current: PeriodParticipationOut = Field(description="The review period under way")
    last: PeriodParticipationOut = Field(description="The last complete review period")

"""Shapes of the review-participation answer."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field

from backcast.services.notify.reviews import Participation


class PeriodParticipationOut(Schema):
    start: date = Field(description="First day of the review period (the organisation's calendar)")
    end: date = Field(description="Last day of the review period, included")
    checked_in: list[str] = Field(description="E-mail addresses of the owner and contributors who checked in")
    missing: list[str] = Field(description="E-mail addresses of those who did not")

    @staticmethod
    def resolve_start(obj: Participation) -> date:
        return obj.period.start

    @staticmethod
    def resolve_end(obj: Participation) -> date:
        return obj.period.end

    @staticmethod
    def resolve_checked_in(obj: Participation) -> list[str]:
        return [u.email for u in obj.checked_in]

    @staticmethod
    def resolve_missing(obj: Participation) -> list[str]:
        return [u.email for u in obj.missing]


class ParticipationOut(Schema):
    goal: int
    cadence: str
    today: date
    current: PeriodParticipationOut = Field(description="The review period under way")
    last: PeriodParticipationOut = Field(description="The last complete review period")

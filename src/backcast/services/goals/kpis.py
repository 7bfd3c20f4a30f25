"""Use cases for KPIs and their readings. Readings are idempotent on the client's key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from django.db import transaction
from django.utils.timezone import now
from pydantic import BaseModel, Field, ValidationInfo, field_validator

from backcast import limits
from backcast.goals.models import KPI, Checkpoint, Reading
from backcast.organizations.tenancy import Action, get_for, user_pk
from backcast.services.goals.goals import clean_title, goal_with_room
from backcast.services.platform.errors import InvalidInput, check_version
from backcast.services.platform.specs import a_date, finite, given, max_length, one_of
from backcast.services.reporting.activity import record_readings_batch

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser


class KPIFields(BaseModel):
    """A KPI's fields as people set them (``KPI.FIELDS``), each checked by itself.

    The API's request bodies are made of these fields; :func:`check_kpi` holds the rules across
    them, on the KPI they make.
    """

    name: str
    unit: str
    direction: Literal["increase", "decrease", "band"] = "increase"
    baseline: float | None = None
    baseline_date: date | None = None
    target: float
    target_date: date | None = Field(None, description="Defaults to the goal's deadline")
    band_low: float | None = None
    band_high: float | None = None
    source: Literal["manual", "import", "api"] = "manual"

    @field_validator("name", "unit", mode="plain")
    @classmethod
    def _title(cls, value: Any, info: ValidationInfo) -> str:
        return clean_title(value, info.field_name or "", max_length(KPI, info.field_name))

    @field_validator("direction", mode="plain")
    @classmethod
    def _direction(cls, value: Any) -> str:
        return one_of(value, KPI.Direction.values)

    @field_validator("source", mode="plain")
    @classmethod
    def _source(cls, value: Any) -> str:
        return one_of(value, KPI.Source.values)

    @field_validator("baseline", "target", "band_low", "band_high", mode="plain")
    @classmethod
    def _number(cls, value: Any) -> float | None:
        return finite(value)

    @field_validator("baseline_date", "target_date", mode="plain")
    @classmethod
    def _date(cls, value: Any) -> date | None:
        return a_date(value)


def number(value: Any, field: str) -> float | None:
    """A finite number, or None; booleans and text are refused."""
    try:
        return finite(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field) from None


def check_kpi(kpi: KPI) -> None:
    """The rules across a KPI's fields: a target that asks for a change the right way, a band in
    order, a target date after the baseline date."""
    if kpi.target is None:
        raise InvalidInput("a KPI needs a target", "target")
    if kpi.baseline is not None and kpi.baseline == kpi.target and kpi.direction != KPI.Direction.BAND:
        raise InvalidInput(
            f"equals the baseline ({kpi.baseline:g}); a target must ask for a change", "target"
        )
    if kpi.baseline is not None and kpi.direction == KPI.Direction.INCREASE and kpi.target < kpi.baseline:
        raise InvalidInput(
            f"is below the baseline ({kpi.baseline:g}) of a KPI that should increase", "target"
        )
    if kpi.baseline is not None and kpi.direction == KPI.Direction.DECREASE and kpi.target > kpi.baseline:
        raise InvalidInput(
            f"is above the baseline ({kpi.baseline:g}) of a KPI that should decrease", "target"
        )
    band_ok = kpi.band_low is not None and kpi.band_high is not None and kpi.band_low <= kpi.band_high
    if kpi.direction == KPI.Direction.BAND and not band_ok:
        raise InvalidInput("a band KPI needs band_low <= band_high", "band_low")
    if kpi.baseline_date and kpi.target_date and kpi.target_date <= kpi.baseline_date:
        raise InvalidInput(
            f"{kpi.target_date} is not after the baseline date {kpi.baseline_date}", "target_date"
        )


def apply_kpi_fields(kpi: KPI, fields: Mapping[str, Any]) -> None:
    """Set checked fields (:class:`KPIFields`, as :func:`given` returns them) on the KPI, then
    hold it to the rules across them."""
    for name, value in fields.items():
        setattr(kpi, name, value)
    check_kpi(kpi)


@transaction.atomic
def add_kpi(actor: AnyUser, goal_id: int, data: dict[str, Any]) -> KPI:
    """Add a KPI to a goal (owners and admins); refused once the goal has ``limits.GOAL_KPIS``
    (counted under the goal's row lock)."""
    goal = goal_with_room(actor, goal_id, KPI, limits.GOAL_KPIS, "KPIs")
    if "name" not in data:
        raise InvalidInput("must not be empty", "name")
    if "unit" not in data:
        raise InvalidInput("must not be empty", "unit")
    kpi = KPI(goal=goal, target=None)  # type: ignore[misc]
    apply_kpi_fields(kpi, given(KPIFields, data))
    kpi.save()
    return kpi


@transaction.atomic
def update_kpi(
    actor: AnyUser, kpi_id: int, data: dict[str, Any], *, expected_version: int | None = None
) -> KPI:
    """Change the fields of a KPI that ``data`` gives; nothing is written when a rule fails, nor
    when someone changed the KPI since ``expected_version`` (:func:`check_version`)."""
    kpi = get_for(KPI.objects.select_for_update(of=("self",)), actor, Action.PLAN, pk=kpi_id)
    check_version(kpi, expected_version, f"The KPI {kpi.name!r}")
    apply_kpi_fields(kpi, given(KPIFields, data))
    kpi.version += 1
    kpi.save()
    return kpi


@dataclass(frozen=True)
class ReadingIn:
    """One reading as an integrator sends it; ``key`` makes a retry harmless."""

    date: date
    value: float
    key: str | None = None


@dataclass(frozen=True)
class RecordResult:
    """How many readings were new and how many had been recorded before (same key)."""

    created: int
    duplicates: int


@transaction.atomic
def record_readings(actor: AnyUser, kpi_id: int, readings: list[ReadingIn]) -> RecordResult:
    """Record readings for a KPI (contributors and up), all or none.

    A reading whose key was already recorded for this KPI (now or in an earlier request) is
    skipped, so an integrator can retry a whole batch safely. Keys repeated inside one batch count
    once. A value that is not a finite number rejects the whole batch, naming its position; so
    does a batch of more than ``limits.READINGS_PER_REQUEST`` readings, before anything is read.
    """
    if len(readings) > limits.READINGS_PER_REQUEST:
        raise InvalidInput(
            f"at most {limits.READINGS_PER_REQUEST:,} readings in one request, not {len(readings):,}: "
            "send them in batches, or import them from a file",
            "readings",
        )
    # One writer per KPI: lock its row only, not its goal's (tests/services/test_readings_concurrent.py).
    kpi = get_for(KPI.objects.select_for_update(of=("self",)), actor, Action.CONTRIBUTE, pk=kpi_id)
    for index, reading in enumerate(readings):
        number(reading.value, f"readings[{index}].value")
        if not isinstance(reading.date, date):
            raise InvalidInput("must be a date (YYYY-MM-DD)", f"readings[{index}].date")
        if reading.key is not None and (not reading.key or len(reading.key) > 100):
            raise InvalidInput("must be 1 to 100 characters", f"readings[{index}].key")
    keys = {r.key for r in readings if r.key}
    seen = set(Reading.objects.filter(kpi=kpi, key__in=keys).values_list("key", flat=True)) if keys else set()
    rows = []
    for reading in readings:
        if reading.key and reading.key in seen:
            continue
        if reading.key:
            seen.add(reading.key)
        rows.append(
            Reading(
                kpi=kpi,
                date=reading.date,
                value=float(reading.value),
                key=reading.key or None,
                recorded_by_id=user_pk(actor) or None,
            )
        )
    Reading.objects.bulk_create(rows, batch_size=1000)
    record_readings_batch(actor, kpi, len(rows))  # one event for the batch (bulk_create sends no signal)
    return RecordResult(created=len(rows), duplicates=len(readings) - len(rows))


@transaction.atomic
def pin_checkpoint(actor: AnyUser, kpi_id: int, day: date, value: Any) -> Checkpoint:
    """Pin the KPI's interim target on ``day`` to ``value`` (replacing a pin on that day).

    The day must lie between the baseline date (if any) and the target date, where the
    trajectory runs; a band KPI has no trajectory to pin.
    """
    kpi = get_for(
        KPI.objects.select_for_update(of=("self",)).select_related("goal"), actor, Action.PLAN, pk=kpi_id
    )
    amount = number(value, "value")
    if amount is None:
        raise InvalidInput("must be a number", "value")
    if kpi.direction == KPI.Direction.BAND:
        raise InvalidInput("a KPI kept within a band has no trajectory to pin", "date")
    end = kpi.target_date or kpi.goal.deadline
    if day >= end or (kpi.baseline_date is not None and day <= kpi.baseline_date):
        after = f"after the baseline date {kpi.baseline_date} and " if kpi.baseline_date else ""
        raise InvalidInput(f"a checkpoint must fall {after}before the target date {end}", "date")
    checkpoint, _ = Checkpoint.objects.update_or_create(
        kpi=kpi, date=day, defaults={"value": amount, "pinned_by_id": user_pk(actor), "pinned_at": now()}
    )
    return checkpoint


@transaction.atomic
def unpin_checkpoint(actor: AnyUser, kpi_id: int, day: date) -> None:
    """Remove the pin on ``day``; the trajectory runs straight again there. 404 when there is none."""
    kpi = get_for(KPI.objects.all(), actor, Action.PLAN, pk=kpi_id)
    get_for(Checkpoint.objects.filter(kpi=kpi), actor, Action.PLAN, date=day).delete()

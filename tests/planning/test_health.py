"""Health from KPI, schedule, risk and check-in signals, with the reasons behind it."""

from __future__ import annotations

from datetime import date

from backcast.planning.health import HealthFacts, KpiSignal, health
from backcast.planning.kpi import Forecast


def fc(value: float, low: float, high: float) -> Forecast:
    return Forecast("linear", date(2027, 6, 30), value, low, high, 0.8, 0.5, 6)


def test_nothing_known_is_on_track() -> None:
    assert health(HealthFacts()).status == "on_track"
    assert health(HealthFacts()).findings == ()


def test_kpi_behind_its_interim_target_is_at_risk() -> None:
    result = health(
        HealthFacts(kpis=[KpiSignal("OTD", "%", "increase", 95.0, actual=84.0, interim_target=86.0)])
    )
    assert result.status == "at_risk"
    assert result.findings[0].text == "OTD is 84 %, behind its interim target of 86 %"
    ahead = health(
        HealthFacts(kpis=[KpiSignal("Lead time", "d", "decrease", 5.0, actual=7.0, interim_target=8.0)])
    )
    assert ahead.status == "on_track"


def test_forecast_missing_the_target() -> None:
    within_band = KpiSignal("OTD", "%", "increase", 95.0, forecast=fc(93.0, 90.0, 96.0))
    assert health(HealthFacts(kpis=[within_band])).status == "at_risk"
    hopeless = KpiSignal("OTD", "%", "increase", 95.0, forecast=fc(90.0, 88.0, 92.0))
    result = health(HealthFacts(kpis=[hopeless]))
    assert result.status == "off_track"
    assert (
        "forecast at 90 % by the deadline (80% band 88-92) against a target of 95" in result.findings[0].text
    )
    falling = KpiSignal("Lead time", "d", "decrease", 5.0, forecast=fc(6.0, 4.5, 7.0))
    assert health(HealthFacts(kpis=[falling])).status == "at_risk"
    fine = KpiSignal("Lead time", "d", "decrease", 5.0, forecast=fc(4.0, 3.0, 5.0))
    assert health(HealthFacts(kpis=[fine])).status == "on_track"


def test_band_kpis() -> None:
    inside = KpiSignal("Temp", "C", "band", 20.0, actual=21.0, band_low=18.0, band_high=22.0)
    outside = KpiSignal("Temp", "C", "band", 20.0, actual=25.0, band_low=18.0, band_high=22.0)
    assert health(HealthFacts(kpis=[inside])).status == "on_track"
    assert health(HealthFacts(kpis=[outside])).findings[0].text == "Temp is 25 C, outside its band 18-22"


def test_schedule_and_risk_signals() -> None:
    assert health(HealthFacts(feasible=False)).status == "off_track"
    assert health(HealthFacts(late_milestones=["Audit"])).findings[0].text == "late milestones: Audit"
    assert (
        health(HealthFacts(min_slack=-3)).findings[0].text == "the critical path is 3 working days too long"
    )
    assert health(HealthFacts(min_slack=0)).status == "at_risk"
    assert health(HealthFacts(min_slack=4)).status == "on_track"
    assert health(HealthFacts(probability_on_time=0.4)).status == "off_track"
    assert (
        health(HealthFacts(probability_on_time=0.7)).findings[0].text
        == "70% chance of finishing by the deadline"
    )
    assert health(HealthFacts(probability_on_time=0.9)).status == "on_track"
    assert health(HealthFacts(latest_confidence=4)).status == "at_risk"
    assert health(HealthFacts(latest_confidence=8)).status == "on_track"


def test_worst_finding_wins_and_comes_first() -> None:
    result = health(HealthFacts(latest_confidence=3, feasible=False))
    assert result.status == "off_track"
    assert [f.signal for f in result.findings] == ["capacity", "checkin"]


def test_numbers_behind_a_target_are_written_so_they_differ() -> None:
    from backcast.planning.health import distinct

    assert distinct(65.71, 65.73) == ("65.71", "65.73")
    assert distinct(80.0, 82.5) == ("80", "82")
    assert distinct(80.4, 80.6) == ("80", "81")
    assert distinct(3.00001, 3.00001) == ("3.00001", "3.00001")

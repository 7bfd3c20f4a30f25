"""The simulated people and systems of ``bench/load.py``; run by locust in its own process only.

Not imported by the test suite or the app: locust patches the standard library with gevent when
it is imported. ``bench/load.py`` seeds the organisation, writes what these users need to know
(logins, tokens, goal and KPI ids) to the JSON file named by ``BACKCAST_LOAD_DATA`` and starts
locust with the classes of each phase by name:

- ``WebUser``: a person in a browser. Logs in through the real login form (CSRF token from the
  page, then the session cookie), then loads the dashboard (sometimes a filtered or later page),
  goal pages and timelines, and now and then records a reading or posts a check-in through the
  goal page's forms (each a POST answered by a redirect to the goal page).
- ``ApiClient``: an integration with a bearer token. Lists goals, reads a goal's plan and health,
  pushes readings in bulk with client keys (and sometimes resends a batch, as a retrying client
  does: the keys make it harmless) and posts check-ins.
- ``GoalListCaller``, ``MeCaller`` and ``HealthCaller``: the comparison phase. Each calls one
  route as fast as it answers, with no think time: the goal-list API, the smallest route that
  checks a token and reads the database, and the trivial health check.

Every answer is checked (status, and where it matters the body), so an error page is a failure.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from datetime import date, timedelta
from typing import Any

from locust import FastHttpUser, HttpUser, between, constant, task

DATA: dict[str, Any] = json.loads(open(os.environ["BACKCAST_LOAD_DATA"], encoding="utf-8").read())  # noqa: SIM115
WAIT = tuple(DATA["wait"])
GOALS: list[int] = DATA["goals"]
KPIS: list[dict[str, Any]] = DATA["kpis"]  # id, goal, baseline, target
TODAY = date.fromisoformat(DATA["today"])
STATUSES = ("on_track", "on_track", "on_track", "at_risk", "off_track")
# CLOSE: the mix's clients open a connection for each request, as a proxy in front of gunicorn
# does by default (nginx speaks HTTP/1.0 upstream). Kept alive between think times, a connection
# idle past gunicorn's 2 s keep-alive is closed by the server just as the client reuses it: a
# browser retries such a request, the client library here reports an error.


def some_goal() -> int:
    return random.choice(GOALS)


def a_value(kpi: dict[str, Any]) -> float:
    """A plausible reading: somewhere between the KPI's baseline and a little past its target."""
    baseline, target = float(kpi["baseline"]), float(kpi["target"])
    return round(baseline + (target - baseline) * random.uniform(0.2, 1.1), 2)


class WebUser(HttpUser):
    """A person in a browser: the dashboard, goal pages, timelines, and a form now and then."""

    weight = 3
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        self.client.headers["Connection"] = "close"  # see CLOSE
        email, password = random.choice(DATA["people"])
        page = self.client.get("/account/login/", name="web: login form")
        token = self.client.cookies.get("csrftoken", "")
        assert token, "the login page sets no CSRF cookie"
        assert 'name="csrfmiddlewaretoken"' in page.text, "the login form has no CSRF field"
        with self.client.post(
            "/account/login/",
            {"username": email, "password": password, "csrfmiddlewaretoken": token},
            name="web: log in (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"login answered {answer.status_code}, not a redirect")

    def post_form(self, url: str, fields: dict[str, Any], name: str, goal: int) -> None:
        """POST a goal-page form as the browser does; a success redirects back to the goal page."""
        fields = {**fields, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        with self.client.post(url, fields, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 302 or not answer.headers.get("Location", "").endswith(
                f"/goals/{goal}/"
            ):
                answer.failure(f"answered {answer.status_code}, not the redirect to the goal page")
                return
        self.client.get(f"/goals/{goal}/", name="web: goal page")

    @task(4)
    def dashboard(self) -> None:
        query = random.choice(["", "", "", "?page=2", "?health=at_risk", "?team=team-1"])
        with self.client.get(
            f"/o/{DATA['org']}/goals/{query}", name="web: dashboard", catch_response=True
        ) as answer:
            if answer.status_code == 200 and 'id="results"' not in answer.text:
                answer.failure("the dashboard shows no results")

    @task(4)
    def goal_page(self) -> None:
        self.client.get(f"/goals/{some_goal()}/", name="web: goal page")

    @task(2)
    def timeline(self) -> None:
        self.client.get(f"/goals/{some_goal()}/timeline/", name="web: timeline")

    @task(1)
    def record_reading(self) -> None:
        kpi = random.choice(KPIS)
        fields = {"date": TODAY.isoformat(), "value": a_value(kpi)}
        self.post_form(f"/kpis/{kpi['id']}/readings/", fields, "web: record a reading (POST)", kpi["goal"])

    @task(1)
    def check_in(self) -> None:
        goal = some_goal()
        fields = {
            "status": random.choice(STATUSES),
            "confidence": random.randint(3, 9),
            "note": "Weekly review.",
        }
        self.post_form(f"/goals/{goal}/checkins/", fields, "web: post a check-in (POST)", goal)


class ApiClient(HttpUser):
    """An integration (ERP, WMS, help desk) with a bearer token."""

    weight = 2
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        self.client.headers["Connection"] = "close"  # see CLOSE
        self.client.headers["Authorization"] = f"Bearer {random.choice(DATA['tokens'])}"
        self.last_batch: tuple[int, list[dict[str, Any]]] | None = None

    @task(3)
    def list_goals(self) -> None:
        with self.client.get("/api/v1/goals", name="api: goal list", catch_response=True) as answer:
            if answer.status_code == 200 and answer.json()["count"] != len(GOALS):
                answer.failure("the goal list does not count every goal")

    @task(2)
    def plan(self) -> None:
        self.client.get(f"/api/v1/goals/{some_goal()}/plan", name="api: goal plan")

    @task(2)
    def health(self) -> None:
        self.client.get(f"/api/v1/goals/{some_goal()}/health", name="api: goal health")

    @task(2)
    def push_readings(self) -> None:
        """A batch of the last few days' readings, keyed; one batch in five is sent again."""
        if self.last_batch is not None and random.random() < 0.2:
            kpi_id, batch = self.last_batch
            expect = 0
        else:
            kpi = random.choice(KPIS)
            kpi_id, expect = kpi["id"], 5
            batch = [
                {
                    "date": (TODAY - timedelta(days=d)).isoformat(),
                    "value": a_value(kpi),
                    "key": uuid.uuid4().hex,
                }
                for d in range(expect)
            ]
        self.last_batch = (kpi_id, batch)
        with self.client.post(
            f"/api/v1/kpis/{kpi_id}/readings",
            json=batch,
            name="api: push readings (POST)",
            catch_response=True,
        ) as answer:
            if answer.status_code == 201 and answer.json()["created"] != expect:
                answer.failure(f"recorded {answer.json()['created']} readings, expected {expect}")

    @task(1)
    def check_in(self) -> None:
        body = {
            "status": random.choice(STATUSES),
            "confidence": random.randint(3, 9),
            "note": "From the ERP.",
        }
        self.client.post(
            f"/api/v1/goals/{some_goal()}/checkins", json=body, name="api: post a check-in (POST)"
        )


class GoalListCaller(FastHttpUser):
    """The comparison: the goal-list API, back to back."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {random.choice(DATA['tokens'])}"}

    @task
    def list_goals(self) -> None:
        self.client.get("/api/v1/goals", name="api: goal list", headers=self.auth)


class HealthCaller(FastHttpUser):
    """The comparison's yardstick: the trivial JSON route of the same server, back to back."""

    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/api/v1/health", name="api: health check")


class MeCaller(FastHttpUser):
    """Between the two: ``GET /api/v1/me``, the token checked and one query, back to back."""

    wait_time = constant(0)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {random.choice(DATA['tokens'])}"}

    @task
    def me(self) -> None:
        self.client.get("/api/v1/me", name="api: me (token, one query)", headers=self.auth)

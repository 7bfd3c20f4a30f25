"""The morning of an operations lead, in a real Chromium against a real server.

``backcast demo`` fills a fresh database and ``backcast serve`` runs it (gunicorn, as in
production); Playwright drives Debian's Chromium through ``executable_path`` (its own browser
download is not used). The journey: log in, read the dashboard, plan a goal with the wizard,
record a reading, post a check-in and see the health change, open the timeline. Any console error
or uncaught page error fails the test. Screenshots of each main page go to ``build/screenshots/``
for a reviewer to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

BIN = Path(sys.executable).with_name("backcast")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("CI"),
        reason="Chromium is not installed (apt-get install chromium); CI installs it and runs these",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Backcast with the demo loaded, on a free loopback port."""
    data = tmp_path_factory.mktemp("browser-data")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "BACKCAST_PRODUCTION", "DEBUG"}
    } | {"BACKCAST_DATA_DIR": str(data)}
    subprocess.run([str(BIN), "demo"], env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/account/login/", timeout=2)  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None, "CI must install Debian's chromium for the browser tests"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def test_a_lead_plans_a_goal_and_watches_its_health(server: str, browser: Browser) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{page.url}: console {msg.type}: {msg.text} {msg.location}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status == 404 else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    # Log in with the demo account and land on the dashboard.
    page.goto(f"{server}/account/login/")
    page.get_by_label(re.compile("e-?mail", re.I)).fill("demo@backcast.local")
    page.get_by_label(re.compile("password", re.I)).fill("backcast-demo")
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/o/[\w-]+/goals/$"))
    expect(page.locator(".status").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "1-dashboard.png"), full_page=True)
    slug = page.url.rstrip("/").split("/")[-2]

    # The wizard, step by step, to a planned goal.
    page.goto(f"{server}/o/{slug}/plan/")
    page.locator("[name=title]").fill("Cut dock-to-stock time to 4 hours")
    page.locator("[name=description]").fill("Receiving, put-away and the WMS handshake at the main DC.")
    page.locator("[name=deadline]").fill("2031-06-30")
    page.locator("[name=start]").fill("2031-01-06")
    expect(page.locator("#smart-check")).to_contain_text("Time-bound")
    page.screenshot(path=str(SHOTS / "2-wizard-goal.png"), full_page=True)
    page.get_by_role("button", name=re.compile("Save and continue")).click()
    expect(page).to_have_url(re.compile(r"/plan-wizard/2/$"))
    page.locator("[name=name]").fill("Dock-to-stock time")
    page.locator("[name=unit]").fill("hours")
    page.locator("[name=direction]").select_option("decrease")
    page.locator("[name=baseline]").fill("9")
    page.locator("[name=baseline_date]").fill("2031-01-06")
    page.locator("[name=target]").fill("4")
    page.get_by_role("button", name=re.compile("Next: milestones")).click()
    expect(page).to_have_url(re.compile(r"/plan-wizard/3/$"))
    page.locator("[name=title]").fill("Go live with the new put-away flow")
    page.locator("[name=duration]").fill("10")
    page.get_by_role("button", name="Add milestone").click()
    page.locator("[name=title]").fill("Pilot on two receiving doors")
    page.locator("[name=duration]").fill("15")
    page.get_by_role("button", name="Add milestone").click()
    expect(page.locator("body")).to_contain_text("Feasible")
    page.screenshot(path=str(SHOTS / "3-wizard-milestones.png"), full_page=True)
    page.get_by_role("button", name=re.compile("Next: owners and dates")).click()
    expect(page).to_have_url(re.compile(r"/plan-wizard/4/$"))
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(r"/plan-wizard/5/$"))
    page.get_by_role("button", name=re.compile("Finish and open the goal")).click()
    expect(page).to_have_url(re.compile(r"/goals/\d+/$"))
    goal_url = page.url
    expect(page.locator("h1")).to_contain_text("Cut dock-to-stock time")
    expect(page.locator("body")).to_contain_text("Go live with the new put-away flow")
    health = page.locator(".status.large").first
    before = health.inner_text()

    # Record a reading; post a check-in with little confidence: the health turns.
    reading = page.locator("form.reading").first
    reading.locator("[name=date]").fill("2031-01-13")
    reading.locator("[name=value]").fill("8.5")
    reading.get_by_role("button", name="Record").click()
    expect(page.locator("body")).to_contain_text("8.5")
    page.get_by_text("Post a check-in", exact=True).click()  # the form folds out
    checkin = page.locator("form[action$='/checkins/']")
    checkin.locator("[name=status]").select_option("at_risk")
    checkin.locator("[name=confidence]").fill("2")
    checkin.locator("[name=note]").fill("The WMS vendor slipped the interface release.")
    checkin.get_by_role("button", name="Post check-in").click()
    page.goto(goal_url)
    expect(page.locator("body")).to_contain_text("The WMS vendor slipped the interface release.")
    after = page.locator(".status.large").first.inner_text()
    assert after != before, (before, after)
    expect(page.locator("body")).to_contain_text("confidence is 2/10")
    comments = page.locator("#comments")  # pulled in by htmx, posted in place
    comments.locator("[name=body]").fill("Can procurement chase the WMS vendor this week?")
    comments.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments")).to_contain_text("Can procurement chase the WMS vendor this week?")
    assert page.url == goal_url
    page.screenshot(path=str(SHOTS / "4-goal.png"), full_page=True)

    # The timeline draws the plan.
    page.goto(goal_url + "timeline/")
    gantt = page.locator("[data-chart=gantt]")
    expect(gantt.locator("svg")).to_be_visible()  # ECharts drew it (SVG renderer)
    expect(gantt.locator("svg")).to_contain_text("Pilot on two receiving doors")
    page.screenshot(path=str(SHOTS / "5-timeline.png"), full_page=True)

    assert problems == [], "\n".join(problems)

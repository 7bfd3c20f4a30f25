"""The import page: upload a CSV or XLSX of a KPI's readings; faults listed on the page; tenancy."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from backcast.accounts.models import User
from backcast.goals.models import KPI, Reading
from backcast.services.goals.goals import create_goal
from backcast.services.goals.kpis import add_kpi
from tests.conftest import csrf_token, logged_in


@pytest.fixture
def kpi(alice: User) -> KPI:
    goal = create_goal(alice, {"title": "Raise OTD to 95%", "deadline": date(2031, 6, 30)})
    return add_kpi(alice, goal.pk, {"name": "OTD", "unit": "%", "baseline": 80.0, "target": 95.0})


def upload(client: Client, kpi: KPI, content: bytes, name: str = "otd.csv", **extra: Any) -> Any:
    token = csrf_token(client)
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(f"/kpis/{kpi.pk}/import/", {"file": file, **extra}, HTTP_X_CSRFTOKEN=token)


def test_the_goal_page_links_contributors_to_the_import(kpi: KPI, carol: User, bob: User) -> None:
    link = f'href="/kpis/{kpi.pk}/import/"'
    assert link in logged_in(carol).get(f"/goals/{kpi.goal_id}/").content.decode()
    assert link not in logged_in(bob).get(f"/goals/{kpi.goal_id}/").content.decode()
    page = logged_in(carol).get(f"/kpis/{kpi.pk}/import/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Import readings of OTD" in html and 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and "date,value" in html


def test_a_good_file_is_recorded_and_the_goal_page_says_so(kpi: KPI, carol: User) -> None:
    client = logged_in(carol)
    response = upload(client, kpi, b"date,value\n2026-01-05,81\n2026-01-12,82.5\n")
    assert response.status_code == 302 and response["Location"] == f"/goals/{kpi.goal_id}/"
    assert list(Reading.objects.values_list("value", "recorded_by")) == [(81.0, carol.pk), (82.5, carol.pk)]
    page = client.get(response["Location"]).content.decode()
    assert "Imported 2 readings of OTD from otd.csv: 2 recorded, 0 recorded before and skipped." in page
    again = upload(client, kpi, b"date,value\n2026-01-05,81\n2026-01-12,82.5\n")
    assert again.status_code == 302
    assert "0 recorded, 2 recorded before and skipped" in client.get(again["Location"]).content.decode()
    assert Reading.objects.count() == 2


def test_an_xlsx_from_a_temporary_file_upload(kpi: KPI, alice: User, settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload goes to a temporary file on disk
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Value"])
    sheet.append([date(2026, 1, 5), 81])
    out = io.BytesIO()
    book.save(out)
    response = upload(logged_in(alice), kpi, out.getvalue(), "otd.xlsx")
    assert response.status_code == 302
    assert list(Reading.objects.values_list("date", "value")) == [(date(2026, 1, 5), 81.0)]


def test_a_bad_file_lists_every_faulty_row_and_records_nothing(kpi: KPI, carol: User) -> None:
    bad = b"date,value\n2026-01-05,81\n2026-01-06,abc\n,82\n2026-01-08,<b>9</b>\n"
    response = upload(logged_in(carol), kpi, bad, "week <1>.csv")
    assert response.status_code == 400
    html = response.content.decode()
    assert "3 faulty rows in week &lt;1&gt;.csv; nothing was recorded." in html
    assert "<li>Row 3: value &#x27;abc&#x27; is not a number</li>" in html
    assert "<li>Row 4: date is missing</li>" in html
    assert "<li>Row 5: value &#x27;&lt;b&gt;9&lt;/b&gt;&#x27; is not a number</li>" in html
    assert not Reading.objects.exists()


def test_a_long_list_of_faults_says_how_many_are_shown(kpi: KPI, carol: User) -> None:
    bad = b"date,value\n" + b"2026-01-05,x\n" * 1005
    html = upload(logged_in(carol), kpi, bad).content.decode()
    assert "1005 faulty rows" in html and "The first 1000 of 1005 are listed." in html
    assert html.count("<li>Row ") == 1000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"day,amount\n2026-01-05,1\n", "the header row must name the columns date and value"),
        (b"", "The submitted file is empty."),
        (b"date,value\n", "has no readings below its header row"),
    ],
)
def test_faults_of_the_whole_file_are_shown_by_the_field(
    kpi: KPI, carol: User, content: bytes, message: str
) -> None:
    response = upload(logged_in(carol), kpi, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Reading.objects.exists()


def test_no_file_or_a_file_too_large(kpi: KPI, carol: User, settings: Any) -> None:
    client = logged_in(carol)
    token = csrf_token(client)
    response = client.post(f"/kpis/{kpi.pk}/import/", {}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    settings.BACKCAST_MAX_UPLOAD_BYTES = 20
    response = upload(client, kpi, b"date,value\n2026-01-05,81\n")
    assert response.status_code == 400
    assert (
        "is larger than 20 bytes: import it with `backcast import readings`, or split it into smaller files"
        in response.content.decode()
    )
    assert not Reading.objects.exists()


def test_outsiders_get_404_viewers_403_and_strangers_the_login(kpi: KPI, bob: User, charlie: User) -> None:
    good = b"date,value\n2026-01-05,81\n"
    url = f"/kpis/{kpi.pk}/import/"
    assert logged_in(charlie).get(url).status_code == 404
    assert upload(logged_in(charlie), kpi, good).status_code == 404
    assert logged_in(bob).get(url).status_code == 403
    assert upload(logged_in(bob), kpi, good).status_code == 403
    assert Client().get(url)["Location"].startswith("/account/login/")
    assert logged_in(charlie).get("/kpis/999999/import/").status_code == 404
    assert not Reading.objects.exists()


def test_the_form_needs_the_csrf_token(kpi: KPI, alice: User) -> None:
    file = SimpleUploadedFile("otd.csv", b"date,value\n2026-01-05,81\n")
    response = logged_in(alice).post(f"/kpis/{kpi.pk}/import/", {"file": file})
    assert response.status_code == 403
    assert not Reading.objects.exists()

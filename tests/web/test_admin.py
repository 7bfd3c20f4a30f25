"""The back office: a staff user can open every goals page of the admin; others cannot."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from backcast.accounts.models import User
from backcast.services.platform.demo import load_demo


@pytest.mark.django_db
def test_staff_can_browse_every_goals_model_in_the_admin() -> None:
    from datetime import date

    load_demo(date(2031, 3, 3))
    staff = User.objects.create_superuser(email="ops@backcast.test", password="a long passphrase 1")
    client = Client()
    client.force_login(staff)
    for model in ["goal", "kpi", "milestone", "resource", "checkin"]:
        listing = client.get(reverse(f"admin:goals_{model}_changelist"))
        assert listing.status_code == 200, model
    from backcast.goals.models import KPI, Goal, Milestone

    for model, obj in [
        ("goal", Goal.objects.first()),
        ("kpi", KPI.objects.first()),
        ("milestone", Milestone.objects.first()),
    ]:
        assert obj is not None
        assert client.get(reverse(f"admin:goals_{model}_change", args=[obj.pk])).status_code == 200
    outsider = Client()
    outsider.force_login(User.objects.create_user(email="x@backcast.test", password="a long passphrase 2"))
    assert outsider.get(reverse("admin:goals_goal_changelist")).status_code == 302

"""The demo organisation that ``backcast demo`` and the first ``make run`` load."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from backcast.accounts.models import User
from backcast.organizations.models import Organization, Team
from backcast.organizations.tenancy import Role
from backcast.services.accounts import create_user

DEMO_ORG = "Northwind Operations"
DEMO_EMAIL = "demo@backcast.local"
DEMO_PASSWORD = "backcast-demo"  # noqa: S105 - a published demo login, only created on request
DEMO_PEOPLE = [
    ("lena.ortiz@backcast.local", "Lena Ortiz", Role.OWNER, "Assembly line"),
    ("sam.okafor@backcast.local", "Sam Okafor", Role.CONTRIBUTOR, "Logistics"),
    ("mia.chen@backcast.local", "Mia Chen", Role.CONTRIBUTOR, "Customer service"),
    ("raj.patel@backcast.local", "Raj Patel", Role.VIEWER, "Assembly line"),
]
DEMO_TEAMS = ["Assembly line", "Logistics", "Customer service"]


@dataclass(frozen=True)
class DemoLogin:
    """How to log in to the demo, and whether this call created it."""

    created: bool
    email: str
    password: str
    organization: str


def demo_exists() -> bool:
    return Organization.objects.filter(name=DEMO_ORG).exists()


@transaction.atomic
def load_demo(*, only_if_empty: bool = False) -> DemoLogin | None:
    """Create the demo organisation, its people and teams; running it again changes nothing.

    With ``only_if_empty``, nothing is created when the database already holds any organisation
    (a real installation), and None is returned unless the demo itself is there.
    """
    if demo_exists():
        return DemoLogin(False, DEMO_EMAIL, DEMO_PASSWORD, DEMO_ORG)
    if only_if_empty and Organization.objects.exists():
        return None
    admin, membership = create_user(
        DEMO_EMAIL, DEMO_PASSWORD, org=DEMO_ORG, role=Role.ADMIN, name="Dana Demo", validate=False
    )
    org = membership.organization
    teams = {
        name: Team.objects.create(organization=org, name=name, slug=name.lower().replace(" ", "-"))
        for name in DEMO_TEAMS
    }
    teams["Assembly line"].members.add(admin)
    for email, name, role, team in DEMO_PEOPLE:
        person, _ = create_user(email, DEMO_PASSWORD, org=org.slug, role=role, name=name, validate=False)
        teams[team].members.add(person)
    return DemoLogin(True, DEMO_EMAIL, DEMO_PASSWORD, org.name)


def demo_user() -> User | None:
    return User.objects.filter(email=DEMO_EMAIL).first()

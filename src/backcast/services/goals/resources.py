"""Resources: people or crews with a capacity in units per working day."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from backcast.goals.models import Resource
from backcast.organizations.models import Organization
from backcast.organizations.tenancy import Action, get_for
from backcast.services.goals.goals import clean_title, find_team
from backcast.services.platform.errors import InvalidInput

if TYPE_CHECKING:
    from backcast.organizations.tenancy import AnyUser


def capacity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"must be a whole number of units >= 0, got {value!r}", "capacity")
    return int(value)


@transaction.atomic
def create_resource(actor: AnyUser, org_slug: str, data: dict[str, Any]) -> Resource:
    """Add a resource to the organisation (owners and admins); names are unique in it."""
    org = get_for(Organization.objects.all(), actor, Action.PLAN, slug=org_slug)
    name = clean_title(data.get("name"), "name", 120)
    if Resource.objects.filter(organization=org, name=name).exists():
        raise InvalidInput(f"there is already a resource called {name!r}", "name")
    return Resource.objects.create(
        organization=org,
        name=name,
        capacity=capacity(data.get("capacity", 1)),
        team=find_team(org, data.get("team")),
    )


@transaction.atomic
def update_resource(actor: AnyUser, resource_id: int, data: dict[str, Any]) -> Resource:
    """Change a resource's name, capacity or team. Demands above a lowered capacity are refused."""
    resource = get_for(Resource.objects.select_for_update(), actor, Action.PLAN, pk=resource_id)
    if "name" in data:
        name = clean_title(data["name"], "name", 120)
        if (
            Resource.objects.filter(organization_id=resource.organization_id, name=name)
            .exclude(pk=resource.pk)
            .exists()
        ):
            raise InvalidInput(f"there is already a resource called {name!r}", "name")
        resource.name = name
    if "capacity" in data:
        resource.capacity = capacity(data["capacity"])
        over = resource.demands.filter(units__gt=resource.capacity).select_related("milestone").first()
        if over is not None:
            raise InvalidInput(
                f"{over.milestone.title!r} needs {over.units} units a day; lower its demand first", "capacity"
            )
    if "team" in data:
        resource.team = find_team(resource.organization, data["team"])
    resource.save()
    return resource

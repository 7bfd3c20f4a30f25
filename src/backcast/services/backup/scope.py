"""Which rows of each model belong to one organisation's backup.

Each model's way to its organisation comes from the model itself, never from a list here:

- A model with ``tenant_path`` (the tenancy module's path to its organisation: ``"goal__
  organization"`` for a KPI, ``"id"`` for the organisation itself) gives the rows on that path.
- The user model gives the organisation's members, with their password hashes so that they can
  still log in, and the other people its rows name (someone who recorded a reading and has
  left since): those come with an unusable password, as the organisation has no claim to
  their login, and nothing else of theirs.
- Any other model (a many-to-many table, API tokens, calendar feeds, what the feeds said) is
  *linked*: it goes when one of its foreign keys leads into the backup (a member, for what a
  person owns; a row of the organisation, for the rest) and every other non-null key it has
  points at a row the backup holds too, so every reference in the file can be restored.
- :data:`~backcast.services.backup.catalog.INSTANCE_ONLY` models are left out; any other model
  without a way to an organisation is an error (a test finds it first), never a silent gap.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet

from backcast.organizations.models import Membership, Organization
from backcast.services.backup.catalog import INSTANCE_ONLY, label, references


class NoWayToOrganization(LookupError):
    """A model has neither a tenant path nor a foreign key leading to one."""


def kind(model: type[models.Model], seen: frozenset[str] = frozenset()) -> str:
    """How the model's rows are chosen for an organisation: tenant, user, linked or instance.

    Raises :class:`NoWayToOrganization` for a model that is none of these.
    """
    name = label(model)
    if name in INSTANCE_ONLY:
        return "instance"
    if model is get_user_model():
        return "user"
    if hasattr(model, "tenant_path"):
        return "tenant"
    if anchors(model, seen | {name}):
        return "linked"
    raise NoWayToOrganization(
        f"{name} has no tenant_path and no foreign key to an organisation's rows or to a person; "
        "give it a tenant_path, or name it in backup.catalog.INSTANCE_ONLY or EXCLUDED with a reason"
    )


def anchors(model: type[models.Model], seen: frozenset[str]) -> list[models.ForeignKey[Any, Any]]:
    """The foreign keys through which a linked model's row can belong to an organisation."""
    found = []
    for f in references(model):
        target: type[models.Model] = f.related_model  # type: ignore[assignment]
        if label(target) in seen:
            continue
        try:
            if kind(target, seen) != "instance":
                found.append(f)
        except NoWayToOrganization:
            continue
    return found


class OrganizationScope:
    """The querysets of one organisation's backup, built lazily and kept for the whole export."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.members = set(
            Membership.objects.filter(organization=organization).values_list("user_id", flat=True)
        )
        self.cache: dict[type[models.Model], QuerySet[Any] | None] = {}
        self._people: set[Any] | None = None

    def rows(self, model: type[models.Model]) -> QuerySet[Any] | None:
        """The model's rows in this organisation's backup; None for a model it does not hold."""
        if model not in self.cache:
            self.cache[model] = self.build(model)
        return self.cache[model]

    def build(self, model: type[models.Model]) -> QuerySet[Any] | None:
        manager: Any = model._base_manager
        what = kind(model)
        if what == "instance":
            return None
        if what == "tenant":
            path: str = model.tenant_path  # type: ignore[attr-defined]
            return manager.filter(**{path: self.organization.pk})  # type: ignore[no-any-return]
        if what == "user":
            return manager.filter(pk__in=self.people())  # type: ignore[no-any-return]
        return manager.filter(self.linked(model, strict=True))  # type: ignore[no-any-return]

    def linked(self, model: type[models.Model], *, strict: bool) -> Q:
        """A linked model's rows: anchored by one key; with ``strict``, every other key held too.

        Without ``strict``, keys to people are not checked, which is how the people the
        organisation's rows name are found before the set of people is known.
        """
        user_model = get_user_model()
        anchored = Q(pk__in=[])
        for f in anchors(model, frozenset({label(model)})):
            anchored |= Q(**{f"{f.name}__in": self.anchor_ids(f.related_model, strict)})  # type: ignore[arg-type]
        held = Q()
        for f in references(model):
            target: type[models.Model] = f.related_model  # type: ignore[assignment]
            if target is user_model and not strict:
                continue
            inside = Q(**{f"{f.name}__in": self.target_ids(target, strict)})
            held &= (inside | Q(**{f"{f.name}__isnull": True})) if f.null else inside
        return anchored & held

    def anchor_ids(self, target: type[models.Model], strict: bool) -> Any:
        """Ids a row may hang from: members for a person, the backup's rows for anything else."""
        if target is get_user_model():
            return list(self.members)
        return self.target_ids(target, strict)

    def target_ids(self, target: type[models.Model], strict: bool) -> Any:
        if target is get_user_model():
            return list(self.people())
        rows = self.rows(target) if strict else self.loose(target)
        return rows.values("pk") if rows is not None else []

    def loose(self, model: type[models.Model]) -> QuerySet[Any] | None:
        """The model's rows as :meth:`rows` gives them, but with references to people unchecked."""
        if kind(model) != "linked":
            return self.rows(model)
        manager: Any = model._base_manager
        return manager.filter(self.linked(model, strict=False))  # type: ignore[no-any-return]

    def people(self) -> set[Any]:
        """Members, and everyone the organisation's rows name (who recorded, wrote, owned ...)."""
        if self._people is not None:
            return self._people
        from backcast.services.backup.catalog import exported_models

        user_model = get_user_model()
        found = set(self.members)
        for model in exported_models():
            what = kind(model)
            if what not in {"tenant", "linked"}:
                continue
            for f in references(model):
                if f.related_model is not user_model:
                    continue
                rows = self.loose(model)
                assert rows is not None  # tenant and linked models always have rows
                found.update(rows.exclude(**{f.attname: None}).values_list(f.attname, flat=True).distinct())
        self._people = found
        return found

    def is_member(self, pk: Any) -> bool:
        return pk in self.members

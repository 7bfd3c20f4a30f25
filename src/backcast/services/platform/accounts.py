"""Use cases for people: creating users from the command line and the demo."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from backcast.accounts.models import User
from backcast.organizations.models import Membership
from backcast.services.platform.errors import InvalidInput, check_one_line
from backcast.services.platform.organizations import check_role, find_or_create_organization, set_membership


@transaction.atomic
def create_user(
    email: str, password: str | None, *, org: str, role: str, name: str = "", validate: bool = True
) -> tuple[User, Membership]:
    """Create a user (or update an existing one's password) and give them ``role`` in ``org``.

    The organisation is created when no organisation has that slug or name. The password is
    checked by Django's validators unless ``validate`` is false (the demo's known password).
    """
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput(f"{email!r} is not a valid e-mail address", "email") from None
    check_role(role)
    check_one_line(name, "name")
    if not org.strip():
        raise InvalidInput("an organisation name is required", "org")
    user = User.objects.filter(email=email).first() or User(email=email, name=name)
    if password is not None:
        if validate:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages), "password") from None
        user.set_password(password)
    elif user.pk is None:
        user.set_unusable_password()
    if name:
        user.name = name
    user.save()
    organization, _ = find_or_create_organization(org)
    return user, set_membership(organization, user, role)

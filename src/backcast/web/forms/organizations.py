from __future__ import annotations

from typing import Any

from django import forms

from backcast.organizations.models import Organization
from backcast.organizations.tenancy import Role


class TeamForm(forms.Form):
    """A new team: just a name, unique inside the organisation (checked by the service)."""

    name = forms.CharField(max_length=120, strip=True)


class InviteForm(forms.Form):
    """Invite an e-mail address with a role; the person joins by accepting the e-mailed link."""

    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CONTRIBUTOR)


class RoleForm(forms.Form):
    """Change the role of someone who is a member already (adding people is by invitation)."""

    member = forms.ChoiceField(label="Member")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CONTRIBUTOR)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = org.memberships.select_related("user").order_by("user__email")
        self.fields["member"].choices = [(m.user.email, m.user.display_name) for m in members]  # type: ignore[attr-defined]


class JoinForm(forms.Form):
    """The account of someone invited who has none yet: a name and a password (checked by the service)."""

    name = forms.CharField(
        label="Your name", max_length=150, strip=True, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("password") and data.get("password_again") not in (None, data["password"]):
            self.add_error("password_again", "the two passwords differ")
        return data

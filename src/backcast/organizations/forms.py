from django import forms

from backcast.organizations.tenancy import Role


class TeamForm(forms.Form):
    """A new team: just a name, unique inside the organisation (checked by the service)."""

    name = forms.CharField(max_length=120, strip=True)


class MemberForm(forms.Form):
    """Add an existing user to the organisation, or change their role."""

    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CONTRIBUTOR)

from django import forms

from backcast.accounts.models import TokenScope


class TokenForm(forms.Form):
    """A new API token: a name to recognise it by and what it may do."""

    name = forms.CharField(max_length=100, required=False, help_text="For example: ERP nightly export")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.WRITE)

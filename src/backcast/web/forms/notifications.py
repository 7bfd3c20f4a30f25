"""A person's notification switches, and a new webhook of an organisation."""

from __future__ import annotations

from django import forms

from backcast.notifications.models import Kind, Webhook


class PreferenceForm(forms.Form):
    email = forms.BooleanField(required=False, label="E-mail me notifications")
    reminder = forms.BooleanField(required=False, label="Review reminders (when I have not checked in)")
    digest = forms.BooleanField(required=False, label="The weekly digest (Mondays)")
    mention = forms.BooleanField(required=False, label="When someone @mentions me in a comment")


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="For example: #ops-reviews")
    tool = forms.ChoiceField(choices=Webhook.Tool.choices, initial=Webhook.Tool.SLACK, label="Sent to")
    url = forms.CharField(
        max_length=1000,
        label="Webhook URL",
        help_text="The incoming-webhook address the chat tool gave you (Slack, a Teams Workflows "
        "“post to a channel when a webhook request is received” flow, a Lark custom bot).",
    )
    events = forms.MultipleChoiceField(
        choices=Kind.choices, initial=[Kind.REMINDER, Kind.MENTION], widget=forms.CheckboxSelectMultiple
    )
    secret = forms.CharField(
        max_length=128,
        required=False,
        label="Signing secret (optional)",
        help_text="Leave empty to have one generated. For Lark with signature verification on, "
        "paste the secret Lark shows.",
    )

"""A check ``manage.py check --deploy`` runs: the site answers only to host names it names.

The configuration refuses ``ALLOWED_HOSTS=*`` and an empty list in production mode
(:func:`backcast.config.allowed_hosts`); this check holds the same rule for any settings
``check --deploy`` is run with, so a deployment that got round the configuration still fails.
Django itself only warns about an empty list, and says nothing about ``*``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def check_allowed_hosts(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """``backcast.E001`` when ``ALLOWED_HOSTS`` is empty or holds a ``*``."""
    hosts = list(settings.ALLOWED_HOSTS)
    if hosts and not any("*" in host for host in hosts):
        return []
    return [
        Error(
            f"ALLOWED_HOSTS must name the host names the site answers to, not {hosts!r}.",
            hint="Set ALLOWED_HOSTS to the public names, e.g. ALLOWED_HOSTS=ops.example.com: with '*' "
            "any Host header is believed, and so is anything built from it.",
            id="backcast.E001",
        )
    ]

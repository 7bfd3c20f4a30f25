"""The JSON API under /api/v1/ (django-ninja): parse, call a service, return."""

from backcast.api.app import api

__all__ = ["api"]

"""Today, as the organisation sees it: plan dates are calendar dates in its time zone.

The one place the pages, the API and the wizard read the date, so they agree around midnight.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone

from backcast.organizations.models import Organization


def org_today(org: Organization) -> date:
    """Today's date in the organisation's time zone."""
    return zone_today(org.timezone)


def zone_today(zone: str) -> date:
    """Today's date in the time zone an organisation's ``timezone`` names (when only that was read)."""
    return timezone.localdate(timezone=ZoneInfo(zone))

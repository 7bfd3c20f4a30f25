"""Webhook errors in the delivery log are reduced to the fixed kinds sent now.

Earlier attempts kept up to 200 bytes of a failed receiver's answer ("HTTP 500: ...") and the
operating system's words for a failed connection ("no answer: [Errno 111] Connection refused"),
which told an organisation's admins more about the network behind a URL than whether it
answered. Those errors become "HTTP 500", "timeout" or "connection failed"; e-mail errors are
kept as they are. Nothing is undone going back: the removed words are gone.
"""

import re

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

STATUS = re.compile(r"^HTTP (\d{3})\b")
KEPT = {
    "",
    "the webhook was switched off",
    "timeout",
    "connection failed",
    "TLS error",
    "host not found",
    "refused by address policy",
    "delivery failed",
}
BATCH = 1000


def fixed_words(error: str) -> str:
    if error in KEPT:
        return error
    status = STATUS.match(error)
    if status:
        return f"HTTP {status.group(1)}"
    if "timed out" in error.lower() or "timeout" in error.lower():
        return "timeout"
    return "connection failed"


def reduce_errors(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Attempt = apps.get_model("notifications", "Attempt")
    Delivery = apps.get_model("notifications", "Delivery")
    for model, field, channel in (
        (Delivery, "last_error", "channel"),
        (Attempt, "error", "delivery__channel"),
    ):
        rows = model.objects.filter(**{channel: "webhook"}).exclude(**{f"{field}__in": KEPT}).order_by("pk")
        last = 0
        while batch := list(rows.filter(pk__gt=last).only("pk", field)[:BATCH]):
            last = batch[-1].pk
            for row in batch:
                setattr(row, field, fixed_words(getattr(row, field)))
            model.objects.bulk_update(batch, [field])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_webhook_name_one_line"),
    ]

    operations = [
        migrations.RunPython(reduce_errors, migrations.RunPython.noop),
    ]

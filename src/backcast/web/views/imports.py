"""Importing a KPI's readings from a CSV or XLSX file on the web: the upload form and its faults.

Thin, like the other goal pages: the lookup goes through tenancy (contributors and up, as for
recording one reading: a viewer gets 403, an outsider 404) and the file goes to the one import
service. A bad file is refused whole: the page comes back (400) listing every faulty row by
number and reason, and nothing is recorded.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from backcast import limits
from backcast.goals.models import KPI
from backcast.organizations.tenancy import Action, get_for
from backcast.request_limits import accepts_upload
from backcast.services.intake.imports import MAX_FAULTS, ImportRejected, import_readings
from backcast.services.platform.errors import InvalidInput

ACCEPT = ".csv,.tsv,.txt,.xlsx,text/csv,text/plain,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportForm(forms.Form):
    """The file, at most ``BACKCAST_MAX_UPLOAD_BYTES`` (``MAX_UPLOAD_MB``); a much larger body is
    refused before it is read (``backcast.request_limits``), this one by the field."""

    file = forms.FileField(label="File", widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = int(settings.BACKCAST_MAX_UPLOAD_BYTES)
        most = f"at most {limits.megabytes(self.limit)} and {limits.IMPORT_ROWS:,} readings"
        self.fields["file"].help_text = f"CSV or XLSX, {most}"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.limit:
            raise forms.ValidationError(
                f"is larger than {limits.megabytes(self.limit)}: import it with `backcast import readings`, "
                "or split it into smaller files"
            )
        return upload


@accepts_upload
@login_required
@require_http_methods(["GET", "POST"])
def reading_import(request: HttpRequest, kpi_id: int) -> HttpResponse:
    """GET: the upload form and the file format; POST: import the file (all its rows, or none)."""
    kpi = get_for(KPI.objects.select_related("goal"), request.user, Action.CONTRIBUTE, pk=kpi_id)
    if request.method == "GET":
        return render(request, "goals/import.html", {"kpi": kpi, "form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    rejected = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_readings(request.user, kpi.pk, upload.file, upload.name or "the file")
        except ImportRejected as exc:
            rejected = exc
        except InvalidInput as exc:
            form.add_error("file", exc.message)
        else:
            readings = f"{result.rows:,} reading{'' if result.rows == 1 else 's'}"
            messages.success(
                request,
                f"Imported {readings} of {kpi.name} from {upload.name}: {result.created:,} recorded, "
                f"{result.duplicates:,} recorded before and skipped.",
            )
            return redirect("goal-detail", goal_id=kpi.goal_id)
    context = {"kpi": kpi, "form": form, "rejected": rejected, "max_faults": MAX_FAULTS}
    return render(request, "goals/import.html", context, status=400)

"""Imports: upload an export of another listening tool (the API's service,
monitoring.services.imports) and follow each job's progress, live while a worker ingests it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from monitoring.api.intake import ImportJobSerializer
from monitoring.exceptions import IngestError
from monitoring.forms import ImportUploadForm
from monitoring.models import ImportJob, ImportStatus, Source
from monitoring.services.imports import import_job_create
from monitoring.views.base import PAGE, brand_of, writes

RUNNING = (ImportStatus.QUEUED, ImportStatus.RUNNING)


def _row(job: ImportJob) -> dict[str, Any]:
    """One job as its row shows it; a job still queued or running polls for its next state."""
    return {
        "job": job,
        "percent": ImportJobSerializer().get_percent(job),  # the API's figure
        "live": job.status in RUNNING,
    }


@require_http_methods(["GET", "HEAD", "POST"])
def imports_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    sources = list(Source.objects.all())
    status = 200
    if request.method == "POST":
        if not writes(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST, request.FILES, sources=sources)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = import_job_create(
                    client=client,
                    source=next(s for s in sources if s.pk == data["source"]),
                    filename=data["file"].name,
                    chunks=data["file"].chunks(),
                    acting_user=request.user,  # type: ignore[arg-type]
                    timezone_name=data["timezone"],
                )
            except IngestError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("%(name)s is queued: %(rows)s rows.")
                    % {"name": job.filename, "rows": job.total_rows},
                )
                return redirect("imports-page")
        status = 400
    else:
        form = ImportUploadForm(sources=sources, initial={"timezone": client.timezone})
    jobs = ImportJob.objects.select_related("source").order_by("-created_at", "-id")
    page = Paginator(jobs, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/imports.html",
        {
            "client": client,
            "form": form,
            "writes": writes(request),
            "sources": sources,
            "page": page,
            "rows": [_row(job) for job in page],
        },
        status=status,
    )


@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """One job's row, which htmx swaps in every second until the job is done or failed (the
    row it then gets has no trigger, so the polling stops)."""
    job = get_object_or_404(ImportJob.objects.select_related("source"), pk=pk)
    return render(
        request, "monitoring/_import_row.html", {"client": brand_of(request), **_row(job)}
    )

"""Dead letters: the items the doors could not store, to read, replay (corrected if need be) or
discard, through the API's services (monitoring.services.sources)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from monitoring.exceptions import DeadLetterError
from monitoring.forms import DeadLetterDiscardForm, DeadLetterFiltersForm, ReplayForm
from monitoring.models import DeadLetter, ImportJob, Source
from monitoring.selectors import dead_letters_filter
from monitoring.services.sources import dead_letter_discard, dead_letter_replay
from monitoring.views.base import PAGE, brand_of, writes


@require_GET
def dead_letters_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    sources = list(Source.objects.all())
    form = DeadLetterFiltersForm(request.GET or None, sources=sources)
    filters = form.filters()
    job = ImportJob.objects.filter(pk=filters["job"]).first() if "job" in filters else None
    letters = dead_letters_filter(client=client, **{**filters, "job": job})
    if "job" in filters and job is None:
        letters = letters.none()  # an import this brand does not have
    page = Paginator(letters, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/dead_letters.html",
        {"client": client, "form": form, "letters": page, "job": job},
    )


def _shown(letter: DeadLetter) -> str:
    """The item as a person reads it: its JSON indented, or the text of bytes that were not."""
    if letter.payload is None:
        return letter.raw_body
    # jsonb keeps keys in its own order; the exact JSON received has the sender's.
    try:
        received = orjson.loads(letter.raw_body)
    except orjson.JSONDecodeError:
        received = None
    item = received if received == letter.payload else letter.payload
    return json.dumps(item, indent=2, ensure_ascii=False)


def _detail(request: HttpRequest, letter: DeadLetter, **context: Any) -> dict[str, Any]:
    shown = _shown(letter)
    return {
        "client": brand_of(request),
        "letter": letter,
        "shown": shown,
        "writes": writes(request),
        "replay_form": context.pop("replay_form", None) or ReplayForm(initial={"payload": shown}),
        "discard_form": context.pop("discard_form", None) or DeadLetterDiscardForm(),
        **context,
    }


def _letter(pk: int) -> DeadLetter:
    return get_object_or_404(DeadLetter.objects.select_related("source"), pk=pk)


@require_GET
def dead_letter_page(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "monitoring/dead_letter.html", _detail(request, _letter(pk)))


@require_POST
def dead_letter_replay_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Replay as kept or as corrected in the form; rejected again, it stays open and the page
    says why."""
    if not writes(request):
        raise PermissionDenied
    client = brand_of(request)
    letter = _letter(pk)
    form = ReplayForm(request.POST)
    if not form.is_valid():
        context = _detail(request, letter, replay_form=form)
        return render(request, "monitoring/dead_letter.html", context, status=400)
    payload = form.cleaned_data["payload"]
    try:
        result = dead_letter_replay(
            client=client,
            letter=letter,
            acting_user=request.user,  # type: ignore[arg-type]
            # Unchanged, it is replayed as kept (the resolution says: not corrected).
            payload=None if payload == letter.payload else payload,
        )
    except DeadLetterError as exc:
        messages.error(request, exc.message)
        return redirect("dead-letter-page", pk=letter.pk)
    if result.rejected:
        context = _detail(request, letter, replay_form=form, rejected=result.rejected[0].errors)
        return render(request, "monitoring/dead_letter.html", context, status=result.http_status)
    if result.duplicates:
        messages.success(request, _("Replayed: the mention was already stored."))
    else:
        messages.success(request, _("Replayed: stored as a mention."))
    return redirect("dead-letter-page", pk=letter.pk)


@require_POST
def dead_letter_discard_page(request: HttpRequest, pk: int) -> HttpResponse:
    if not writes(request):
        raise PermissionDenied
    client = brand_of(request)
    letter = _letter(pk)
    form = DeadLetterDiscardForm(request.POST)
    if not form.is_valid():
        context = _detail(request, letter, discard_form=form)
        return render(request, "monitoring/dead_letter.html", context, status=400)
    try:
        dead_letter_discard(
            client=client,
            letter=letter,
            acting_user=request.user,  # type: ignore[arg-type]
            reason=form.cleaned_data["reason"],
        )
    except DeadLetterError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Discarded."))
    return redirect("dead-letter-page", pk=letter.pk)

"""The tone check while someone writes (brand host): POST /tone/ with a draft and its context
answers the findings as the partial templates/playbooks/_tone.html, which htmx swaps into the
editor's panel; the editors render the same partial on first load and after a submit, so
that a page without JavaScript shows them too.

Agency people only (a client viewer's POST is refused by TenantAccessMiddleware, and here
again). The incident and the mention are looked up in this brand's schema: another brand's
id is not found (404), never read. What cannot be a draft is a 400, never a server error.

The fields: text; kind (reply, post, qa, notice); platform and language (optional); incident
and mention (ids, optional). `field` names another posted field that holds the draft instead
of `text` (an editor posts its whole form: the Q&A page's "a_2", the notice's "body").
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clients.models import Client, Language
from monitoring.models import Mention, Platform
from monitoring.views.base import brand_of, writes
from playbooks.models import Incident
from playbooks.selectors import ToneFinding, draft_tone
from playbooks.tone import KINDS

# The longest draft any editor takes (a notice's body is the longest), with room to spare.
MAX_TEXT = 20_000
MAX_ID = 2**63 - 1
# A form field's name, as the editors name theirs.
_FIELD = re.compile(r"[a-z][a-z0-9_]{0,39}")
# While someone writes: 400 ms after the last change of the text ("input": typed, pasted,
# dictated or autocorrected on a phone's keyboard, which a "keyup" misses), and on leaving it.
TRIGGER = "input changed delay:400ms, change"


class ToneForm(forms.Form):
    text = forms.CharField(required=False, strip=False, max_length=MAX_TEXT)
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in sorted(KINDS)])
    platform = forms.ChoiceField(required=False, choices=[("", ""), *Platform.choices])
    language = forms.ChoiceField(required=False, choices=[("", ""), *Language.choices])
    incident = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    mention = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)


def tone_findings(
    *,
    client: Client,
    text: str,
    kind: str,
    platform: str | None = None,
    language: str | None = None,
    incident: Incident | None = None,
    mention: Mention | None = None,
) -> list[ToneFinding] | None:
    """What the partial shows for a draft: its findings, or None while it is empty (no
    all-clear for a text not written yet)."""
    if not text.strip():
        return None
    return draft_tone(
        client=client,
        text=text,
        kind=kind,
        platform=platform,
        language=language,
        incident=incident,
        mention=mention,
    )


def tone_attrs(*, panel: str, kind: str, field: str, incident: Incident | None) -> dict[str, str]:
    """The htmx attributes of an editor's text field whose findings go to the element with id
    `panel` (the editor's live region): the form is posted to the tone check as it changes."""
    values: dict[str, str] = {"kind": kind, "field": field}
    if incident is not None:
        values["incident"] = str(incident.pk)
    return {
        "hx-post": reverse("tone-check"),
        "hx-trigger": TRIGGER,
        "hx-include": "closest form",
        "hx-vals": json.dumps(values),
        "hx-target": f"#{panel}",
        "hx-swap": "innerHTML",
        "hx-sync": "this:replace",
        "aria-describedby": panel,
    }


def _posted(request: HttpRequest) -> dict[str, Any] | None:
    """The form's data, with the draft under "text" (from the field `field` names)."""
    data: dict[str, Any] = {name: request.POST.get(name, "") for name in ToneForm.base_fields}
    field = request.POST.get("field", "text")
    if field != "text":
        if not _FIELD.fullmatch(field) or field in ToneForm.base_fields:
            return None
        data["text"] = request.POST.get(field, "")
    return data


@require_POST
def tone_check_view(request: HttpRequest) -> HttpResponse:
    if not writes(request):
        raise PermissionDenied
    client = brand_of(request)
    data = _posted(request)
    if data is None:
        return HttpResponseBadRequest(
            "field: not the name of a form field.", content_type="text/plain"
        )
    form = ToneForm(data)
    if not form.is_valid():
        errors = "; ".join(
            f"{name}: {' '.join(map(str, messages))}" for name, messages in form.errors.items()
        )
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    cleaned = form.cleaned_data
    incident = None
    if cleaned["incident"] is not None:
        incident = Incident.objects.filter(pk=cleaned["incident"]).first()
        if incident is None:
            raise Http404
    mention = None
    if cleaned["mention"] is not None:
        mention = Mention.objects.filter(pk=cleaned["mention"]).first()
        if mention is None:
            raise Http404
    findings = tone_findings(
        client=client,
        text=cleaned["text"],
        kind=cleaned["kind"],
        platform=cleaned["platform"] or None,
        language=cleaned["language"] or None,
        incident=incident,
        mention=mention,
    )
    return render(request, "playbooks/_tone.html", {"findings": findings})

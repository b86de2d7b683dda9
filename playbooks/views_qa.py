"""The crisis Q&A page: public on the brand's host at /qa/<code>/ (no log-in, served from the
cache), and its editor for the agency's people at /incidents/<id>/qa/ (drafts, publication,
the versions, the short link); client viewers read the editor without its controls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.formats import date_format
from django.utils.http import http_date
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from agency.exceptions import StormdeskError
from agency.models import User
from clients.models import Client, Language
from monitoring.views.base import brand_of, writes
from playbooks import qa
from playbooks.models import Incident, QAPage, QAVersion
from playbooks.views_tone import tone_attrs, tone_findings

CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
MISSING_CACHE_CONTROL = "public, max-age=15"
ROWS, MAX_ROWS = 10, qa.MAX_ENTRIES


# --- The public page ------------------------------------------------------------------------


def _stamp(at: datetime, client: Client) -> dict[str, str]:
    """A moment as the page shows it, in the brand's zone and the page's language."""
    local = at.astimezone(client.zone)
    offset = local.strftime("%z") or "+0000"
    return {
        "clock": f"{local:%H:%M}",
        "offset": f"{offset[:3]}:{offset[3:]}",
        "day": date_format(local, "j F"),
        "iso": local.isoformat(timespec="seconds"),
    }


def _render(client: Client, code: str) -> dict[str, Any]:
    """What the page with `code` serves now, rendered and remembered: a pointer with its ETag,
    Last-Modified and the key of the rendition (or that there is nothing to serve)."""
    schema = client.schema_name
    found = qa.qa_published_get(client=client, code=code)
    if found is None:
        with translation.override(client.language):
            body = render_to_string("playbooks/qa_public.html", {"client": client, "missing": True})
        entry: dict[str, Any] = {"missing": True, "lang": client.language, "body": body.encode()}
        cache.set(qa.qa_pointer_key(schema_name=schema, code=code), entry, qa.MISSING_SECONDS)
        return entry
    version = found.version
    assert version.published_at is not None  # (a published version has its moment)
    with translation.override(version.language):
        body = render_to_string(
            "playbooks/qa_public.html",
            {
                "client": client,
                "version": version,
                "updated": _stamp(version.published_at, client),
                "earlier": [_stamp(at, client) for at in found.earlier],
            },
        )
    key = qa.qa_rendition_key(schema_name=schema, code=code, number=version.number)
    entry = {
        "missing": False,
        "etag": f'"qa-{found.page.pk}-{version.number}-r{qa.RENDER_REVISION}"',
        "modified": int(version.published_at.timestamp()),
        "lang": version.language,
        "key": key,
    }
    # The rendition outlives its pointer: a pointer never names a rendition already gone.
    cache.set(key, body.encode(), qa.CACHE_SECONDS + 60)
    cache.set(qa.qa_pointer_key(schema_name=schema, code=code), entry, qa.CACHE_SECONDS)
    entry["body"] = body.encode()
    return entry


@require_safe
def qa_public(request: HttpRequest, code: str) -> HttpResponse:
    """The published version of the page, for anyone (TenantAccessMiddleware lets /qa/ pass).

    A hit reads the pointer and the rendition from the cache, no database; an unchanged page
    answers 304 to If-None-Match or If-Modified-Since. The answer is the same for everyone (no
    session, no cookie, no Vary), so a CDN may keep it as Cache-Control says."""
    client = brand_of(request)
    entry = cache.get(qa.qa_pointer_key(schema_name=client.schema_name, code=code))
    if entry is None:
        entry = _render(client, code)
    if entry["missing"]:
        response = HttpResponse(entry["body"], status=404, content_type="text/html; charset=utf-8")
        response["Cache-Control"] = MISSING_CACHE_CONTROL
        response["Content-Language"] = entry["lang"]
        return response
    answer = get_conditional_response(request, etag=entry["etag"], last_modified=entry["modified"])
    if answer is None:
        body = entry.get("body") or cache.get(entry["key"])
        if body is None:  # (the rendition was evicted before its pointer)
            body = _render(client, code)["body"]
        answer = HttpResponse(body, content_type="text/html; charset=utf-8")
    answer["ETag"] = entry["etag"]
    answer["Last-Modified"] = http_date(entry["modified"])
    answer["Cache-Control"] = CACHE_CONTROL
    answer["Content-Language"] = entry["lang"]
    return answer


# --- The editor -------------------------------------------------------------------------------


class QAForm(forms.Form):
    """A version of the page: its title, introduction and language, and up to `rows` questions
    with their answers (a row left empty is skipped)."""

    title = forms.CharField(label=_("Title"), max_length=qa.MAX_TITLE)
    intro = forms.CharField(
        label=_("Introduction (optional)"),
        required=False,
        max_length=qa.MAX_INTRO,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    language = forms.ChoiceField(label=_("Language of the page"), choices=Language.choices)

    def __init__(self, *args: Any, rows: int = ROWS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        # Field name -> its tone findings (None: no text), filled by `_with_tone`.
        self.tone: dict[str, Any] = {}
        for n in range(rows):
            self.fields[f"q_{n}"] = forms.CharField(
                label=_("Question %(n)d") % {"n": n + 1},
                required=False,
                max_length=qa.MAX_QUESTION,
            )
            self.fields[f"a_{n}"] = forms.CharField(
                label=_("Answer %(n)d") % {"n": n + 1},
                required=False,
                max_length=qa.MAX_ANSWER,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows_of_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"q_{n}"], self[f"a_{n}"]) for n in range(self.rows)]

    # The texts the tone check reads: the introduction and the answers (the questions are the
    # public's own words).
    def toned_fields(self) -> list[str]:
        return ["intro", *(f"a_{n}" for n in range(self.rows))]

    def rows_with_tone(self) -> list[tuple[forms.BoundField, forms.BoundField, Any]]:
        """(question, answer, the answer's tone findings) per row; see `_with_tone`."""
        return [(q, a, self.tone.get(a.name)) for q, a in self.rows_of_fields()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        entries = []
        for n in range(self.rows):
            question = (data.get(f"q_{n}") or "").strip()
            answer = (data.get(f"a_{n}") or "").strip()
            if question and not answer:
                self.add_error(f"a_{n}", _("Give the answer to this question."))
            elif answer and not question:
                self.add_error(f"q_{n}", _("Give the question to this answer."))
            elif question:
                entries.append({"q": question, "a": answer})
        if not entries and not self.errors:
            self.add_error("q_0", _("Give at least one question with its answer."))
        data["entries"] = entries
        return data


def _rows_for(count: int) -> int:
    """Room for the entries and one more, at least ROWS, at most MAX_ROWS."""
    return max(ROWS, min(MAX_ROWS, count + 1))


def _rows_posted(request: HttpRequest) -> int:
    try:
        return _rows_for(int(request.POST.get("rows", ROWS)) - 1)
    except ValueError:
        return ROWS


def _incident(request: HttpRequest, pk: int) -> Incident:
    incident = qa.qa_incident_get(client=brand_of(request), pk=pk)
    if incident is None:
        raise Http404
    return incident


def _writer(request: HttpRequest) -> User:
    """One of the agency's people on the brand (a client viewer's POST is refused by
    TenantAccessMiddleware already; the services refuse it again)."""
    if not writes(request) or not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


def _form_from(version: QAVersion | None, client: Client) -> QAForm:
    if version is None:
        return QAForm(initial={"language": client.language})
    initial: dict[str, Any] = {
        "title": version.title,
        "intro": version.intro,
        "language": version.language,
    }
    for n, entry in enumerate(version.entries):
        initial[f"q_{n}"], initial[f"a_{n}"] = entry.get("q", ""), entry.get("a", "")
    return QAForm(initial=initial, rows=_rows_for(len(version.entries)))


def _with_tone(form: QAForm, client: Client, incident: Incident) -> QAForm:
    """The form with the tone check on its introduction and answers: each text field posts
    the form to the tone check as it changes (htmx) into its panel, and `form.tone` holds
    their findings now (the latest version's, or what was just posted), for the first render
    and for a page without JavaScript. No query: a Q&A text needs no incident lookup."""
    language = form["language"].value()
    language = language if language in Language.values else None
    tone: dict[str, Any] = {}
    for name in form.toned_fields():
        form.fields[name].widget.attrs.update(
            tone_attrs(panel=f"tone-{name}", kind="qa", field=name, incident=incident)
        )
        tone[name] = tone_findings(
            client=client,
            text=str(form[name].value() or ""),
            kind="qa",
            language=language,
            incident=incident,
        )
    form.tone = tone
    return form


def _editor(
    request: HttpRequest, incident: Incident, form: QAForm | None = None, status: int = 200
) -> HttpResponse:
    client = brand_of(request)
    page: QAPage | None = qa.qa_page_of(client=client, incident=incident)
    versions = qa.qa_versions(client=client, page=page) if page is not None else []
    published = page.published if page is not None else None
    form = form or _form_from(versions[0] if versions else None, client)
    if writes(request):  # (a client viewer gets no form)
        _with_tone(form, client, incident)
    return render(
        request,
        "playbooks/qa_edit.html",
        {
            "client": client,
            "incident": incident,
            "page": page,
            "published": published,
            "versions": versions,
            "link": qa.qa_short_url(client=client, page=page) if page is not None else "",
            "writes": writes(request),
            # A draft newer than the published version may be published.
            "publishable_after": published.number if published is not None else 0,
            "form": form,
        },
        status=status,
    )


@require_GET
def qa_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _editor(request, _incident(request, pk))


@require_POST
def qa_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the form as a new draft; with "publish", publish it at once too."""
    user = _writer(request)
    incident = _incident(request, pk)
    client = brand_of(request)
    form = QAForm(request.POST, rows=_rows_posted(request))
    if not form.is_valid():
        return _editor(request, incident, form, status=400)
    try:
        page = qa.qa_page_for(client=client, incident=incident)
        version = qa.qa_draft_save(
            client=client,
            page=page,
            acting_user=user,
            title=form.cleaned_data["title"],
            intro=form.cleaned_data["intro"],
            entries=form.cleaned_data["entries"],
            language=form.cleaned_data["language"],
        )
        if request.POST.get("publish"):
            qa.qa_publish(client=client, version=version, acting_user=user)
            messages.success(request, _("Version %(n)d is public.") % {"n": version.number})
        else:
            messages.success(request, _("Draft %(n)d saved.") % {"n": version.number})
    except StormdeskError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        form.add_error(None, exc.message)
        return _editor(request, incident, form, status=400)
    return redirect("qa-edit", pk=incident.pk)


@require_POST
def qa_publish(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Publish one of the page's drafts."""
    user = _writer(request)
    incident = _incident(request, pk)
    client = brand_of(request)
    page = qa.qa_page_of(client=client, incident=incident)
    version = page.versions.filter(number=number).first() if page is not None else None
    if version is None:
        raise Http404
    try:
        qa.qa_publish(client=client, version=version, acting_user=user)
        messages.success(request, _("Version %(n)d is public.") % {"n": version.number})
    except StormdeskError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    return redirect("qa-edit", pk=incident.pk)

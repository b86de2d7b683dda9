"""Sources: the list with each source's health, adding one, and a source's page (its health,
webhook address, settings, write-only credentials, pause and resume, test connection). The same
validation (the API's SourceSerializer, through the forms) and the same services as the API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agency.models import User
from monitoring.connectors import connector_class
from monitoring.connectors.base import Check
from monitoring.exceptions import SourceError
from monitoring.forms import (
    ApiValidatedForm,
    SourceCreateForm,
    SourceCredentialsForm,
    SourceSettingsForm,
)
from monitoring.health import Health
from monitoring.models import Platform, Source
from monitoring.selectors import source_failing, source_health_of, sources_with_stats
from monitoring.services.polling import source_test_connection
from monitoring.services.sources import source_create, source_credentials_held, source_update
from monitoring.views.base import PAGE, brand_of, writes

# Meta's platforms push to the source's Meta address, with its own handshake and signature.
META_PLATFORMS = (Platform.FACEBOOK, Platform.INSTAGRAM, Platform.WHATSAPP)
# The secrets the webhooks check (monitoring.webhooks), beside what a connector needs.
PUSH_SECRETS = (("webhook_secret", gettext_lazy("signs the requests to the webhook address")),)
META_SECRETS = (
    ("app_secret", gettext_lazy("the Meta app's secret: checks X-Hub-Signature-256")),
    ("verify_token", gettext_lazy("answers Meta's verification handshake")),
)


@dataclass(frozen=True)
class Row:
    """A source as the pages show it: its health, and ok / silent / failing / paused."""

    source: Source
    health: Health
    state: str


def _row(source: Source) -> Row:
    health = source_health_of(source)
    if not source.is_active:
        state = "paused"
    elif source_failing(source):
        state = "failing"
    elif health.silent:
        state = "silent"
    else:
        state = "ok"
    return Row(source=source, health=health, state=state)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the tenant middleware lets no one else in
    return request.user


def _sources(request: HttpRequest) -> QuerySet[Source]:
    return sources_with_stats(client=brand_of(request))


def _fail(form: ApiValidatedForm, exc: SourceError | DjangoValidationError) -> None:
    """The service's refusal on the field it names (the model's checks, a pull with no
    connector), like the API's 400."""
    if isinstance(exc, SourceError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@require_http_methods(["GET", "POST"])
def sources_page(request: HttpRequest) -> HttpResponse:
    """Every source with its health; staff add one here (POST)."""
    client = brand_of(request)
    form = SourceCreateForm()
    status = 200
    if request.method == "POST":
        if not writes(request):
            raise PermissionDenied
        form = SourceCreateForm(request.POST)
        if form.is_valid():
            data = dict(form.validated)
            credentials = data.pop("credentials", None)
            try:
                source = source_create(
                    client=client, acting_user=_user(request), credentials=credentials, **data
                )
            except (SourceError, DjangoValidationError) as exc:
                _fail(form, exc)
            else:
                messages.success(request, _("Source added: test its connection."))
                return redirect("source-page", pk=source.pk)
        status = 400
    sources = list(_sources(request)[: PAGE + 1])
    context = {
        "client": client,
        "rows": [_row(source) for source in sources[:PAGE]],
        "more": len(sources) > PAGE,
        "writes": writes(request),
        "form": form,
    }
    return render(request, "monitoring/sources.html", context, status=status)


def _credential_names(source: Source, held: list[str]) -> list[tuple[str, str, bool]]:
    """The credentials to offer: what its connector needs (polled), what its webhooks check
    (pushed), and whatever else it holds; each with what it is and whether it is set."""
    offered: dict[str, str] = {}
    connector = connector_class(platform=source.platform, kind=source.kind)
    if source.pull and connector is not None:
        offered.update(connector.credentials_needed)
    else:
        offered.update({key: str(what) for key, what in PUSH_SECRETS})
        if source.platform in META_PLATFORMS:
            offered.update({key: str(what) for key, what in META_SECRETS})
    for key in held:
        offered.setdefault(key, "")
    return [(key, what, key in held) for key, what in offered.items()]


def _detail(request: HttpRequest, source: Source, **given: Any) -> dict[str, Any]:
    held = source_credentials_held(source=source)
    hooks: dict[str, str] = {}
    if not source.pull:
        signed = reverse("v1:hook-signed", kwargs={"public_id": source.public_id})
        hooks["signed"] = request.build_absolute_uri(signed)
        if source.platform in META_PLATFORMS:
            meta = reverse("v1:hook-meta", kwargs={"public_id": source.public_id})
            hooks["meta"] = request.build_absolute_uri(meta)
    names = _credential_names(source, held.keys)
    return {
        "client": brand_of(request),
        "row": _row(source),
        "source": source,
        "held": held,
        "hooks": hooks,
        "settings_json": json.dumps(source.settings, indent=2, ensure_ascii=False),
        "writes": writes(request),
        "settings_form": given.get("settings_form") or SourceSettingsForm(instance=source),
        "credentials_form": given.get("credentials_form")
        or SourceCredentialsForm(instance=source, names=names),
        "check": given.get("check"),
    }


def _source(request: HttpRequest, pk: int, *, acting: bool = False) -> Source:
    if acting and not writes(request):
        raise PermissionDenied
    return get_object_or_404(_sources(request), pk=pk)


@require_GET
def source_page(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source(request, pk)
    return render(request, "monitoring/source.html", _detail(request, source))


@require_POST
def source_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Change its name, settings, polling and expected rate: the API's PATCH, its checks."""
    source = _source(request, pk, acting=True)
    form = SourceSettingsForm(request.POST, instance=source)
    if form.is_valid():
        try:
            source_update(
                client=brand_of(request),
                source=source,
                acting_user=_user(request),
                **form.validated,
            )
        except (SourceError, DjangoValidationError) as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("source-page", pk=pk)
    source = _source(request, pk)  # as stored, not as the refused form left it
    context = _detail(request, source, settings_form=form)
    return render(request, "monitoring/source.html", context, status=400)


@require_POST
def source_credentials(request: HttpRequest, pk: int) -> HttpResponse:
    """Set, replace or remove secrets; never shows one back."""
    source = _source(request, pk, acting=True)
    names = _credential_names(source, source_credentials_held(source=source).keys)
    form = SourceCredentialsForm(request.POST, instance=source, names=names)
    if form.is_valid():
        try:
            source_update(
                client=brand_of(request),
                source=source,
                acting_user=_user(request),
                credentials=form.validated["credentials"],
            )
        except (SourceError, DjangoValidationError) as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("Credentials saved."))
            return redirect("source-page", pk=pk)
    context = _detail(request, _source(request, pk), credentials_form=form)
    return render(request, "monitoring/source.html", context, status=400)


@require_POST
def source_activity(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    """Pause or resume: the API's PATCH of is_active."""
    source = _source(request, pk, acting=True)
    try:
        source_update(
            client=brand_of(request), source=source, acting_user=_user(request), is_active=active
        )
    except (SourceError, DjangoValidationError) as exc:
        messages.error(request, exc.message if isinstance(exc, SourceError) else str(exc))
    else:
        messages.success(request, _("Resumed.") if active else _("Paused: it is not watched now."))
    return redirect("source-page", pk=pk)


@require_POST
def source_test(request: HttpRequest, pk: int) -> HttpResponse:
    """One real request to the platform (SourceTestConnection's service); with htmx only the
    result is sent back, without JavaScript the whole page with it."""
    source = _source(request, pk, acting=True)
    try:
        check = source_test_connection(client=brand_of(request), source=source)
    except SourceError as exc:  # a push-only source: nothing to call
        check = Check(ok=False, message=exc.message)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "monitoring/_source_check.html", {"check": check})
    return render(request, "monitoring/source.html", _detail(request, source, check=check))

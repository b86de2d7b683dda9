"""The crisis Q&A page of an incident: its drafts, their publication, the public short link,
and the cache the public page is served from.

Every function runs in the brand's schema (asserted). A page (QAPage) has one public code for
its lifetime; each save is a new version (QAVersion), kept; publishing one makes it the page's
public text. The public page (playbooks.views_qa.qa_public) is served from the Django cache
under a pointer key per brand and code (`qa_pointer_key`) that names the rendered version's
own key; publishing deletes the pointer once the transaction commits, so the next request
renders the new version under a new key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from agency.exceptions import PermissionDeniedError
from agency.selectors import Access, client_access
from agency.services import audit_record
from clients import tenancy
from clients.models import Client, Language
from playbooks.exceptions import IncidentError
from playbooks.models import Incident, IncidentEventKind, QAPage, QAVersion
from playbooks.services import _changed

if TYPE_CHECKING:
    from agency.models import User

MAX_TITLE = 300
MAX_INTRO = 5000
MAX_ENTRIES = 50
MAX_QUESTION = 2000
MAX_ANSWER = 5000
LANGUAGES = tuple(Language.values)
# Bumped when the public template changes: a cached rendition of the old one is not served.
RENDER_REVISION = 1
# How long a pointer lives without a publication. Publishing deletes it at once; this bounds
# the rest: a request that read the old version just before the publication committed may
# store its pointer just after the delete, and a change of the brand's zone shows this late.
# As long as a CDN may keep the page anyway (max-age); one render a minute costs nothing.
CACHE_SECONDS = 60
# An unknown code, or a page not published yet: remembered briefly, so a flood of requests for
# it costs no query each either; publishing forgets it at once too.
MISSING_SECONDS = 30


def _writer(client: Client, acting_user: User | None) -> User:
    """Only the agency's people on the brand write its Q&A page (client viewers read it)."""
    if acting_user is None or client_access(user=acting_user, client=client) is not Access.FULL:
        raise PermissionDeniedError("Only the agency's people on this brand edit its Q&A page.")
    return acting_user


def _new_code() -> str:
    # 6 random bytes: 8 URL-safe characters (48 bits: not guessable, short enough to type).
    return secrets.token_urlsafe(6)


def qa_page_for(*, client: Client, incident: Incident) -> QAPage:
    """The incident's Q&A page, created with a new random code the first time. Safe to run
    twice (and by two people at once: the incident has one page)."""
    tenancy.require_tenant(client)
    found = QAPage.objects.filter(incident=incident).first()
    if found is not None:
        return found
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return QAPage.objects.create(
                    incident=incident, code=_new_code(), created_at=timezone.now()
                )
        except IntegrityError:
            # Another request made the incident's page meanwhile, or (48 bits) the code is taken.
            found = QAPage.objects.filter(incident=incident).first()
            if found is not None:
                return found
    raise IncidentError("No free code for the Q&A page; try again.")


def _entries_checked(entries: Any) -> list[dict[str, str]]:
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ENTRIES:
        raise IncidentError(
            f"Give 1 to {MAX_ENTRIES} questions with their answers.", field="entries"
        )
    checked = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise IncidentError(f"Entry {n} is not a question and answer.", field="entries")
        question = str(entry.get("q") or "").strip()
        answer = str(entry.get("a") or "").strip()
        if not 1 <= len(question) <= MAX_QUESTION:
            raise IncidentError(
                f"Question {n}: 1 to {MAX_QUESTION} characters.", field=f"q_{n - 1}"
            )
        if not 1 <= len(answer) <= MAX_ANSWER:
            raise IncidentError(f"Answer {n}: 1 to {MAX_ANSWER} characters.", field=f"a_{n - 1}")
        checked.append({"q": question, "a": answer})
    return checked


@transaction.atomic
def qa_draft_save(
    *,
    client: Client,
    page: QAPage,
    acting_user: User | None,
    title: str,
    intro: str,
    entries: list[dict[str, str]],
    language: str,
) -> QAVersion:
    """A new, unpublished version of the page (the next number): nothing public changes until
    it is published. Each call makes a version (a draft is never overwritten)."""
    tenancy.require_tenant(client)
    user = _writer(client, acting_user)
    title, intro = title.strip(), intro.strip()
    if not 1 <= len(title) <= MAX_TITLE:
        raise IncidentError(f"Give the title (at most {MAX_TITLE} characters).", field="title")
    if len(intro) > MAX_INTRO:
        raise IncidentError(f"At most {MAX_INTRO} characters.", field="intro")
    if language not in LANGUAGES:
        raise IncidentError(f"Unknown language {language!r}.", field="language")
    checked = _entries_checked(entries)
    # The page's row is the lock that numbers its versions one after the other.
    page = QAPage.objects.select_for_update().get(pk=page.pk)
    last = page.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = QAVersion.objects.create(
        page=page,
        number=last + 1,
        language=language,
        title=title,
        intro=intro,
        entries=checked,
        created_by=user.email,
        created_at=timezone.now(),
    )
    audit_record(
        verb="qa.draft_saved",
        acting_user=user,
        client_slug=client.slug,
        incident=page.incident_id,
        version=version.number,
    )
    return version


@transaction.atomic
def qa_publish(*, client: Client, version: QAVersion, acting_user: User | None) -> QAVersion:
    """Make the draft the page's public text: published now, on the incident's timeline and in
    the audit log; the public page's cache is forgotten once this commits. Publishing the
    published version again changes nothing; a version older than the published one is
    refused (save it again as a new draft)."""
    tenancy.require_tenant(client)
    user = _writer(client, acting_user)
    page = QAPage.objects.select_for_update().select_related("incident").get(pk=version.page_id)
    version = QAVersion.objects.get(pk=version.pk)
    if page.published_id == version.pk:
        return version
    if version.published_at is not None:
        raise IncidentError(
            f"Version {version.number} was published before; save it as a new draft.",
            field="version",
        )
    current = page.published
    if current is not None and current.number > version.number:
        raise IncidentError(
            f"Version {current.number} is published already, newer than {version.number}.",
            field="version",
        )
    now = timezone.now()
    version.published_at = now
    version.save(update_fields=["published_at"])
    page.published = version
    page.save(update_fields=["published"])
    _changed(
        client=client,
        incident=page.incident,
        kind=IncidentEventKind.NOTE,
        verb="qa.published",
        acting_user=user,
        at=now,
        note=f"Q&A page v{version.number} published",
        version=version.number,
        code=page.code,
    )
    schema, code = client.schema_name, page.code
    transaction.on_commit(lambda: qa_cache_forget(schema_name=schema, code=code))
    return version


# --- Links --------------------------------------------------------------------------------


def qa_short_url(*, client: Client, page: QAPage) -> str:
    """The page's public address on the brand's host: "https://<brand host>/qa/<code>/"."""
    scheme = "https" if settings.SECURE_SSL_REDIRECT else "http"
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{scheme}://{Client.host_for(client.slug)}{port}/qa/{page.code}/"


def qa_link_of(*, client: Client, page: QAPage | None) -> str | None:
    """The short link of `page` once it is published (a link must not lead to a 404)."""
    if page is None or page.published_id is None:
        return None
    return qa_short_url(client=client, page=page)


def qa_link_for_incident(*, client: Client, incident: Incident) -> str | None:
    """The short link the reply editor appends to every reply and post of the incident; None
    while the incident has no published Q&A page (a link must not lead to a 404)."""
    tenancy.require_tenant(client)
    page = QAPage.objects.filter(incident=incident, published__isnull=False).first()
    return qa_link_of(client=client, page=page)


# --- Reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedQA:
    page: QAPage
    version: QAVersion
    # When each earlier published version went out, newest first.
    earlier: list[datetime]


def qa_published_get(*, client: Client, code: str) -> PublishedQA | None:
    """The public text of the page with `code` in this brand (None: no such page here, or
    nothing published yet). Two queries."""
    tenancy.require_tenant(client)
    page = QAPage.objects.select_related("published").filter(code=code).first()
    if page is None or page.published is None:
        return None
    earlier = (
        page.versions.filter(published_at__isnull=False)
        .exclude(pk=page.published.pk)
        .order_by("-published_at")
        .values_list("published_at", flat=True)
    )
    return PublishedQA(
        page=page,
        version=page.published,
        earlier=[at for at in earlier[:MAX_ENTRIES] if at is not None],
    )


def qa_incident_get(*, client: Client, pk: int) -> Incident | None:
    tenancy.require_tenant(client)
    return Incident.objects.filter(pk=pk).first()


def qa_page_of(*, client: Client, incident: Incident) -> QAPage | None:
    """The incident's Q&A page, if it has one yet (with its published version)."""
    tenancy.require_tenant(client)
    return QAPage.objects.select_related("published").filter(incident=incident).first()


def qa_versions(*, client: Client, page: QAPage) -> list[QAVersion]:
    """Every version of the page, newest first (the editor's list)."""
    tenancy.require_tenant(client)
    return list(page.versions.all())


# --- The public page's cache ------------------------------------------------------------------


def qa_pointer_key(*, schema_name: str, code: str) -> str:
    """The key that names what the page with `code` serves now (its version's rendition, or
    that it has none). The cache's key function adds the current schema as well; the schema
    here keeps the key right when a caller is in another one."""
    return f"qa:{schema_name}:{code}"


def qa_rendition_key(*, schema_name: str, code: str, number: int) -> str:
    return f"qa:{schema_name}:{code}:v{number}:r{RENDER_REVISION}"


def qa_cache_forget(*, schema_name: str, code: str) -> None:
    """Forget what the page with `code` serves: the next request renders its published version
    anew (a new key). Runs on commit, in whatever schema the connection is then: it enters
    the brand's, which the cache's key function reads."""
    with tenancy.schema_context(schema_name):
        cache.delete(qa_pointer_key(schema_name=schema_name, code=code))

"""Writes of the brand's response: its playbooks, copied from the agency's templates and
edited per brand. Every function runs in the brand's schema (asserted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from agency.models import PlaybookTemplate
from agency.services import audit_record
from clients import tenancy
from playbooks.defaults import LANGUAGES
from playbooks.models import Playbook, PlaybookStep, ResponseSettings

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client


@transaction.atomic
def playbooks_install(*, client: Client, acting_user: User | None = None) -> int:
    """Copy the agency's templates into the brand, in the brand's language (English where a
    template has none); a brand that has playbooks already gets nothing. Returns how many were
    copied. Also creates the brand's response settings."""
    tenancy.require_tenant(client)
    ResponseSettings.objects.get_or_create(singleton=True)
    if Playbook.objects.exists():
        return 0
    language = client.language if client.language in LANGUAGES else "en"
    chosen: dict[str, PlaybookTemplate] = {}
    for template in PlaybookTemplate.objects.prefetch_related("steps").order_by("id"):
        if template.language == language or (
            template.language == "en" and template.key not in chosen
        ):
            chosen[template.key] = template
    for template in chosen.values():
        playbook = Playbook.objects.create(
            name=template.name,
            language=template.language,
            origin=template.origin,
            level=template.level,
            timing=template.timing,
            platform=template.platform,
            template_key=template.key,
        )
        PlaybookStep.objects.bulk_create(
            PlaybookStep(
                playbook=playbook,
                position=step.position,
                kind=step.kind,
                title=step.title,
                instructions=step.instructions,
                who=step.who,
                due_minutes=step.due_minutes,
            )
            for step in template.steps.all()
        )
    audit_record(
        verb="playbooks.installed",
        acting_user=acting_user,
        client_slug=client.slug,
        playbooks=len(chosen),
        language=language,
    )
    return len(chosen)

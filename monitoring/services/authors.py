"""What the agency knows of an author beyond what the platform says: an ambassador of the
brand, a journalist, an influencer. Detection reads these flags for each mention it processes
(multipliers and ambassadors); they are set here and nowhere else. In the brand's schema
(asserted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from agency.services import audit_record
from clients import tenancy
from monitoring.exceptions import AuthorError
from monitoring.models import Author, Platform

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

FLAGS = ("is_ambassador", "is_journalist", "is_influencer")


def author_handle_clean(platform: str, handle: str) -> tuple[str, str]:
    if platform not in Platform.values:
        raise AuthorError(f"Unknown platform {platform!r}.", field="platform")
    handle = handle.strip().lstrip("@").strip()
    if not handle or len(handle) > 200 or any(c.isspace() for c in handle):
        raise AuthorError("Give the account's handle, without spaces.", field="handle")
    return platform, handle


@transaction.atomic
def author_flags_set(
    *,
    client: Client,
    platform: str,
    handle: str,
    acting_user: User | None,
    **flags: bool,
) -> Author:
    """Set flags of an author (created if the brand has not heard of them yet): from the
    next processing run on, their mentions carry them."""
    tenancy.require_tenant(client)
    if unknown := set(flags) - set(FLAGS):
        raise AuthorError(f"Unknown flag {sorted(unknown)[0]!r}.", field="flags")
    platform, handle = author_handle_clean(platform, handle)
    author, _ = Author.objects.select_for_update().get_or_create(platform=platform, handle=handle)
    for name, value in flags.items():
        setattr(author, name, bool(value))
    author.save(update_fields=list(flags) or None)
    audit_record(
        verb="author.flags_set",
        acting_user=acting_user,
        client_slug=client.slug,
        platform=platform,
        handle=handle,
        **{name: bool(value) for name, value in flags.items()},
    )
    return author

"""The brand's ambassadors and the 99 fans: who the loyal fans are (people with their accounts
on the platforms, flagged on the authors so that detection knows them), which of them are
active in a wave and what they said, a message to them out of band (what is going on and the
Q&A link; never a script to paste), and the balance the Swedish article asks to keep in view:
positive against negative authors and reach, in the wave and in the brand's usual week.

In the brand's schema (asserted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agency.services import audit_record
from clients import tenancy
from monitoring.models import Author, Mention, Wave
from monitoring.services.authors import author_flags_set, author_handle_clean
from playbooks.exceptions import IncidentError
from playbooks.models import (
    Ambassador,
    AmbassadorAccount,
    Incident,
    IncidentEvent,
    IncidentEventKind,
)
from playbooks.notices import public_title

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

MAX_ACCOUNTS = 20
USUAL_WEEK = timedelta(days=7)


@transaction.atomic
def ambassador_add(
    *,
    client: Client,
    name: str,
    accounts: Sequence[tuple[str, str]],
    acting_user: User | None,
    email: str = "",
    note: str = "",
) -> Ambassador:
    """A fan and their accounts ((platform, handle) pairs); each account's author is flagged
    as an ambassador. An account already linked to another ambassador is refused."""
    tenancy.require_tenant(client)
    name = name.strip()
    if not name or len(name) > 200:
        raise IncidentError("Give the ambassador's name.", field="name")
    if not accounts or len(accounts) > MAX_ACCOUNTS:
        raise IncidentError(f"Give between 1 and {MAX_ACCOUNTS} accounts.", field="accounts")
    cleaned = [author_handle_clean(platform, handle) for platform, handle in accounts]
    ambassador = Ambassador.objects.create(name=name, email=email.strip(), note=note.strip())
    for platform, handle in cleaned:
        author = author_flags_set(
            client=client,
            platform=platform,
            handle=handle,
            acting_user=acting_user,
            is_ambassador=True,
        )
        taken = AmbassadorAccount.objects.filter(author=author).select_related("ambassador")
        if other := taken.first():
            raise IncidentError(
                f"@{handle} on {platform} is {other.ambassador.name}'s already.", field="accounts"
            )
        AmbassadorAccount.objects.create(ambassador=ambassador, author=author)
    audit_record(
        verb="ambassador.added",
        acting_user=acting_user,
        client_slug=client.slug,
        ambassador=ambassador.pk,
        accounts=len(cleaned),
    )
    return ambassador


@transaction.atomic
def ambassador_remove(*, client: Client, ambassador: Ambassador, acting_user: User | None) -> None:
    """No longer an ambassador: their accounts lose the flag (the person stays in the trail)."""
    tenancy.require_tenant(client)
    for account in ambassador.accounts.select_related("author"):
        author_flags_set(
            client=client,
            platform=account.author.platform,
            handle=account.author.handle,
            acting_user=acting_user,
            is_ambassador=False,
        )
    ambassador.accounts.all().delete()
    ambassador.is_active = False
    ambassador.save(update_fields=["is_active"])
    audit_record(
        verb="ambassador.removed",
        acting_user=acting_user,
        client_slug=client.slug,
        ambassador=ambassador.pk,
    )


@dataclass(frozen=True)
class ActiveAmbassador:
    ambassador: Ambassador | None  # None: flagged on the author, not on the brand's list
    author: Author
    mentions: list[Mention]


def wave_ambassadors(*, client: Client, wave: Wave, limit: int = 50) -> list[ActiveAmbassador]:
    """The ambassadors who posted in the wave, and what they said (newest first)."""
    tenancy.require_tenant(client)
    posts = list(
        Mention.objects.filter(wave=wave, author__is_ambassador=True, deleted_at__isnull=True)
        .select_related("author")
        .order_by("-posted_at")[: limit * 5]
    )
    accounts = {
        a.author_id: a.ambassador
        for a in AmbassadorAccount.objects.filter(
            author_id__in={p.author_id for p in posts}
        ).select_related("ambassador")
    }
    by_author: dict[int, list[Mention]] = {}
    for post in posts:
        assert post.author_id is not None
        by_author.setdefault(post.author_id, []).append(post)
    return [
        ActiveAmbassador(accounts.get(author_id), mentions[0].author, mentions[:5])  # type: ignore[arg-type]
        for author_id, mentions in list(by_author.items())[:limit]
    ]


@dataclass(frozen=True)
class Side:
    authors: int
    reach: int  # the sum of the authors' followers


@dataclass(frozen=True)
class Balance:
    """Positive against negative voices: authors and their reach."""

    positive: Side
    negative: Side

    @property
    def positive_share(self) -> float | None:
        total = self.positive.authors + self.negative.authors
        return self.positive.authors / total if total else None


def _balance(mentions: QuerySet[Mention]) -> Balance:
    """One query: each author once per side, with their followers."""
    rows = (
        mentions.filter(sentiment__in=["pos", "neg"], author__isnull=False)
        .values_list("sentiment", "author_id", "author__followers")
        .distinct()
    )
    authors: dict[str, dict[int, int]] = {"pos": {}, "neg": {}}
    for sentiment, author_id, followers in rows:
        authors[sentiment][author_id] = followers or 0
    pos, neg = authors["pos"], authors["neg"]
    return Balance(Side(len(pos), sum(pos.values())), Side(len(neg), sum(neg.values())))


def wave_balance(*, client: Client, wave: Wave) -> tuple[Balance, Balance]:
    """The balance in the wave, and in the brand's usual week (the seven days before the
    wave began), so that the one loud critic is seen beside the many who love the brand."""
    tenancy.require_tenant(client)
    live = Mention.objects.filter(deleted_at__isnull=True, repost_of="")
    before = live.filter(posted_at__gte=wave.started_at - USUAL_WEEK, posted_at__lt=wave.started_at)
    return _balance(live.filter(wave=wave)), _balance(before)


@transaction.atomic
def ambassadors_message(
    *,
    client: Client,
    incident: Incident,
    text: str,
    acting_user: User,
    qa_link: str = "",
    at: datetime | None = None,
) -> int:
    """Tell the active ambassadors who have an e-mail address what is going on, out of band,
    with the Q&A link: information, never a script to paste (a message that looks like one, a
    quoted post to copy, is refused). Once per ambassador and incident. Returns how many."""
    from agency.models import NotificationTopic
    from agency.notifications import notify_address

    tenancy.require_tenant(client)
    text = text.strip()
    if not text or len(text) > 3000:
        raise IncidentError("Write the message (at most 3000 characters).", field="text")
    lowered = text.lower()
    if any(
        cue in lowered for cue in ("copy this", "paste", "kopieer", "plak", "kopiera", "klistra")
    ):
        raise IncidentError(
            "Tell the ambassadors what is going on; never give them a text to paste.",
            field="text",
        )
    at = at or timezone.now()
    body = text + (f"\n\n{qa_link}" if qa_link else "")
    title = public_title(client=client, incident=incident)
    sent = 0
    for ambassador in Ambassador.objects.filter(is_active=True).exclude(email=""):
        notify_address(
            address=ambassador.email,
            key=f"ambassadors:{client.schema_name}:{incident.pk}:{ambassador.pk}",
            topic=NotificationTopic.NOTICE,
            subject=f"{client.name}: {title}"[:300],
            body=body,
            client=client,
            at=at,
        )
        sent += 1
    IncidentEvent.objects.create(
        incident=incident,
        at=at,
        kind=IncidentEventKind.NOTE,
        actor=acting_user.email,
        note=f"Message to the ambassadors ({sent}), out of band"
        + (f", with the Q&A page: {qa_link}" if qa_link else ""),
    )
    audit_record(
        verb="ambassadors.messaged",
        acting_user=acting_user,
        client_slug=client.slug,
        incident=incident.pk,
        ambassadors=sent,
    )
    return sent

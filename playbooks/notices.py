"""The brand's employees and the notices that inform them at once in a crisis (PRODUCT.md 10).

The employee list comes from a CSV (email, name, department, language): valid rows are stored by
their e-mail address, every bad row is named with its line and why, and no bytes whatever make
it fail otherwise. A notice goes to every active employee through the watch's outbox
(agency.notifications.notify_address), each copy with a signed personal link whose opening
records the read; who has not read it after the notice's minutes is reminded once.

Every function that touches the brand's tables runs in its schema (asserted); the parsing is
plain Python.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from agency.exceptions import StormdeskError
from agency.services import audit_record
from clients import tenancy
from playbooks.defaults import LANGUAGES
from playbooks.models import (
    Employee,
    EmployeeNotice,
    Incident,
    IncidentEvent,
    IncidentEventKind,
    IncidentStatus,
    NoticeReceipt,
)

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = ("email", "name", "department", "language")
# Headers people give the columns, as they are read (lower case, no spaces or dashes).
ALIASES = {"email": "email", "e-mail": "email", "mail": "email", "emailaddress": "email"}
LENGTHS = {"email": 254, "name": 200, "department": 200}
# A read link works this long (a notice is read in the days of its crisis, not a year later).
READ_MAX_AGE = timedelta(days=60)
READ_SALT = "stormdesk.notice-read"
REMIND_DEFAULT = 30
REMIND_RANGE = (1, 24 * 60)
SUBJECT_MAX = 300
BODY_MAX = 10_000


class NoticeError(StormdeskError):
    code = "invalid_notice"


# --- The employee list from a CSV (no database) ------------------------------------------------


@dataclass(frozen=True)
class EmployeeRow:
    line: int
    email: str
    name: str
    department: str
    language: str
    # The file's columns of name, department and language: a known employee keeps the others.
    given: tuple[str, ...] = ("name", "department", "language")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    # (line in the file, why the row was not stored), in file order.
    errors: list[tuple[int, str]] = field(default_factory=list)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise NoticeError(
            f"line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as CSV UTF-8 and upload it again.",
            field="file",
        ) from None


def _delimiter(text: str) -> str:
    """`;` (a spreadsheet in a Dutch or Swedish locale) or `,`, by the header line."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _header_key(name: str) -> str:
    key = name.strip().lstrip("\ufeff").lower().replace(" ", "").replace("_", "")
    return ALIASES.get(key, key)


def _clean(value: str) -> str | None:
    """The field on one line without surrounding space (a quoted field may span lines); None
    if it holds other control characters (a NUL would not even store)."""
    value = " ".join(value.split())
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in value):
        return None
    return value


def _language(value: str) -> str | None:
    code = value.strip().lower().replace("_", "-").split("-", 1)[0]
    if not code:
        return ""
    return code if code in LANGUAGES else None


_email_valid = EmailValidator()


def _row(line: int, fields: dict[str, str], given: tuple[str, ...]) -> EmployeeRow | str:
    """The row, or why it is not one."""
    cleaned: dict[str, str] = {}
    for column in COLUMNS:
        value = _clean(fields.get(column, ""))
        if value is None:
            return f"the {column} holds control characters"
        cleaned[column] = value
    email = cleaned["email"].lower()
    if not email:
        return "no e-mail address"
    shown = email if len(email) <= 60 else email[:57] + "..."
    if len(email) > LENGTHS["email"]:
        return f"'{shown}' is longer than {LENGTHS['email']} characters"
    try:
        _email_valid(email)
    except ValidationError:
        return f"'{shown}' is not an e-mail address"
    for column in ("name", "department"):
        if len(cleaned[column]) > LENGTHS[column]:
            return f"the {column} is longer than {LENGTHS[column]} characters"
    language = _language(cleaned["language"])
    if language is None:
        typed = cleaned["language"][:20]
        return f"language '{typed}' is not one of {', '.join(LANGUAGES)} (or empty)"
    return EmployeeRow(
        line=line,
        email=email,
        name=cleaned["name"],
        department=cleaned["department"],
        language=language,
        given=given,
    )


def _records(reader: Any) -> Iterator[tuple[int, list[str] | str]]:
    """Each record of a csv.reader with the line it starts on, or the line and why it is not
    CSV (a quoted field may span lines: `line_num` counts the lines read so far)."""
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, f"not CSV: {exc}"
            continue
        yield start, record


def employee_rows_parse(data: bytes) -> tuple[list[EmployeeRow], list[tuple[int, str]]]:
    """The valid rows of an employee CSV and (line, reason) for each bad one. A header row
    names the columns (email is required; name, department, language are optional; others are
    ignored); UTF-8 with or without BOM; `;` or `,` between fields. A file that cannot be read
    at all (too large, not UTF-8, no email column, too many rows) raises NoticeError."""
    if len(data) > MAX_BYTES:
        raise NoticeError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it.", field="file"
        )
    text = _decode(data).replace("\x00", "\ufffd")  # (csv refuses NUL; _clean then names it)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records = _records(reader)
    header: list[str] | None = None
    for line, record in records:
        if isinstance(record, str):
            raise NoticeError(f"line {line}: the header is {record}", field="file")
        if any(cell.strip() for cell in record):
            header = [_header_key(name) for name in record]
            break
    if header is None:
        raise NoticeError(
            "The file is empty: expected a header row email, name, department, language.",
            field="file",
        )
    if "email" not in header:
        shown = ", ".join(h[:40] for h in header[:10])
        raise NoticeError(
            f"line {line}: the header has no email column (found: {shown}); expected email, "
            "name, department, language.",
            field="file",
        )
    positions = {c: header.index(c) for c in COLUMNS if c in header}
    given = tuple(c for c in COLUMNS[1:] if c in positions)
    rows: list[EmployeeRow] = []
    errors: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    count = 0
    for line, record in records:
        if isinstance(record, str):
            errors.append((line, record))
            continue
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        count += 1
        if count > MAX_ROWS:
            raise NoticeError(
                f"line {line}: more than {MAX_ROWS:,} rows; split the file.", field="file"
            )
        if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
            errors.append((line, f"expected {len(header)} columns, found {len(record)}"))
            continue
        fields = {c: record[i] if i < len(record) else "" for c, i in positions.items()}
        parsed = _row(line, fields, given)
        if isinstance(parsed, str):
            errors.append((line, parsed))
        elif parsed.email in first_line:
            errors.append((line, f"'{parsed.email}' is on line {first_line[parsed.email]} already"))
        else:
            first_line[parsed.email] = line
            rows.append(parsed)
    return rows, errors


# --- The employee list (the brand's schema) ----------------------------------------------------


def _lock(name: str) -> None:
    """One writer at a time for `name` in this brand, until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{tenancy.current_schema()}:{name}"]
        )


def employees_import(*, client: Client, data: bytes, acting_user: User | None) -> ImportReport:
    """Store the CSV's valid rows by e-mail address: new employees are created, known ones get
    the file's name, department and language where the file has those columns (an employee
    deactivated stays so). Bad rows are
    reported, not stored; a file that cannot be read raises NoticeError and changes nothing.
    Imports of a brand run one at a time; the same file twice creates nothing the second time."""
    tenancy.require_tenant(client)
    rows, errors = employee_rows_parse(data)
    report = ImportReport(errors=errors)
    with transaction.atomic():
        _lock("employees")
        known = {e.email: e for e in Employee.objects.filter(email__in=[r.email for r in rows])}
        new: list[Employee] = []
        changed: list[Employee] = []
        for row in rows:
            employee = known.get(row.email)
            if employee is None:
                new.append(
                    Employee(
                        email=row.email,
                        name=row.name,
                        department=row.department,
                        language=row.language,
                    )
                )
                continue
            values = {column: getattr(row, column) for column in row.given}
            if any(getattr(employee, column) != value for column, value in values.items()):
                for column, value in values.items():
                    setattr(employee, column, value)
                changed.append(employee)
        Employee.objects.bulk_create(new, batch_size=1000)
        Employee.objects.bulk_update(changed, ["name", "department", "language"], batch_size=1000)
        report.created, report.updated = len(new), len(changed)
        audit_record(
            verb="employees.imported",
            acting_user=acting_user,
            client_slug=client.slug,
            created=report.created,
            updated=report.updated,
            errors=len(errors),
        )
    return report


@transaction.atomic
def employee_active_set(
    *, client: Client, employee: Employee, active: bool, acting_user: User | None
) -> bool:
    """Deactivate an employee (no more notices nor reminders) or take them back. Returns
    whether anything changed."""
    tenancy.require_tenant(client)
    changed = (
        Employee.objects.filter(pk=employee.pk).exclude(is_active=active).update(is_active=active)
    )
    if changed:
        employee.is_active = active
        audit_record(
            verb="employee.activated" if active else "employee.deactivated",
            acting_user=acting_user,
            client_slug=client.slug,
            employee=employee.pk,
        )
    return bool(changed)


# --- The notice's text ------------------------------------------------------------------------

# What happened, what not to do on personal accounts, where to point people, whom to tell
# (playbooks.defaults "employees": do not discuss it, link the Q&A page, pass questions on).
NOTICE_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "what is being said about {brand} online",
        "subject": '{brand}: what to do if you are asked about "{title}"',
        "body": (
            "Dear colleague,\n\n"
            "{brand} is dealing with the following on social media: {title}.\n\n"
            "You may be asked about it, on LinkedIn or elsewhere. On your personal accounts:\n"
            "- Do not discuss it and do not react to posts about it, not even to defend us.\n"
            "{qa}"
            "- Pass questions, from the press too, on to the communications team.\n\n"
            "Thank you for helping us answer with one voice."
        ),
        "qa": "- Point people to our Q&A page, which we keep up to date: {link}\n",
        "no_qa": "- Point people to our official channels; we keep them up to date.\n",
        "remind_subject": "Reminder: {subject}",
        "remind_body": "You have not opened this notice yet. Please read it now.\n\n{body}",
        "read_line": "Open your personal link to read this notice and let us know you did:",
    },
    "nl": {
        "title": "wat er online over {brand} gezegd wordt",
        "subject": '{brand}: wat te doen als je gevraagd wordt naar "{title}"',
        "body": (
            "Beste collega,\n\n"
            "{brand} heeft op sociale media te maken met het volgende: {title}.\n\n"
            "Misschien krijg je er vragen over, op LinkedIn of elders. Op je eigen accounts:\n"
            "- Ga er niet over in discussie en reageer niet op berichten erover, ook niet om "
            "ons te verdedigen.\n"
            "{qa}"
            "- Geef vragen, ook van de pers, door aan het communicatieteam.\n\n"
            "Dank je wel dat je ons helpt met één stem te antwoorden."
        ),
        "qa": "- Verwijs mensen naar onze Q&A-pagina, die we actueel houden: {link}\n",
        "no_qa": "- Verwijs mensen naar onze officiële kanalen; die houden we actueel.\n",
        "remind_subject": "Herinnering: {subject}",
        "remind_body": "Je hebt dit bericht nog niet geopend. Lees het nu alsjeblieft.\n\n{body}",
        "read_line": "Open je persoonlijke link om dit bericht te lezen en ons te laten weten "
        "dat je het gelezen hebt:",
    },
    "sv": {
        "title": "det som sägs om {brand} på nätet",
        "subject": '{brand}: vad du gör om du får frågor om "{title}"',
        "body": (
            "Hej kollega,\n\n"
            "{brand} hanterar just nu följande i sociala medier: {title}.\n\n"
            "Du kan få frågor om det, på LinkedIn eller någon annanstans. På dina egna konton:\n"
            "- Diskutera det inte och reagera inte på inlägg om det, inte ens för att försvara "
            "oss.\n"
            "{qa}"
            "- Skicka frågor, även från pressen, vidare till kommunikationsteamet.\n\n"
            "Tack för att du hjälper oss att svara med en röst."
        ),
        "qa": "- Hänvisa till vår Q&A-sida, som vi håller uppdaterad: {link}\n",
        "no_qa": "- Hänvisa till våra officiella kanaler; vi håller dem uppdaterade.\n",
        "remind_subject": "Påminnelse: {subject}",
        "remind_body": "Du har inte öppnat det här meddelandet än. Läs det nu, tack.\n\n{body}",
        "read_line": "Öppna din personliga länk för att läsa meddelandet och låta oss veta att "
        "du har läst det:",
    },
}


def _texts(client: Client) -> dict[str, str]:
    return NOTICE_TEXTS[client.language if client.language in NOTICE_TEXTS else "en"]


def qa_link(*, client: Client, incident: Incident) -> str:
    """The incident's published Q&A page's link, or ""."""
    from playbooks.qa import qa_link_for_incident

    return qa_link_for_incident(client=client, incident=incident) or ""


def public_title(*, client: Client, incident: Incident, page: Any = False) -> str:
    """What the brand calls the incident to people outside the desk (employees, ambassadors):
    the published Q&A page's title, written by a person in the brand's language; else a plain
    phrase. Never the alert's title, which is the desk's own words ("crisis: 35 negative
    mentions on Instagram"). `page`: the incident's Q&A page (or None) when the caller has it."""
    from playbooks.qa import qa_page_of

    if page is False:
        page = qa_page_of(client=client, incident=incident)
    if page is not None and page.published is not None:
        return str(page.published.title)
    return _texts(client)["title"].format(brand=client.name)


def notice_draft(*, client: Client, incident: Incident) -> tuple[str, str]:
    """The subject and body the notice page starts from, in the brand's language: what
    happened, the guideline for personal accounts, the Q&A page if one is published."""
    tenancy.require_tenant(client)
    from playbooks.qa import qa_link_of, qa_page_of

    texts = _texts(client)
    page = qa_page_of(client=client, incident=incident)
    link = qa_link_of(client=client, page=page) or ""
    qa = texts["qa"].format(link=link) if link else texts["no_qa"]
    title = public_title(client=client, incident=incident, page=page)
    values = {"brand": client.name, "title": title}
    subject = texts["subject"].format(**values)[:SUBJECT_MAX]
    return subject, texts["body"].format(qa=qa, **values)


# --- Sending, reading, reminding --------------------------------------------------------------


def _brand_url(client: Client, path: str) -> str:
    """A link on the brand's host (messages are read outside any request)."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    scheme = "https" if settings.SECURE_SSL_REDIRECT else "http"
    return f"{scheme}://{client.host_for(client.slug)}{port}{path}"


def read_token(*, client: Client, receipt: NoticeReceipt) -> str:
    """The signed part of one employee's read link: the brand, the receipt and its employee."""
    return signing.dumps(
        {"s": client.schema_name, "r": receipt.pk, "e": receipt.employee_id}, salt=READ_SALT
    )


def read_link(*, client: Client, receipt: NoticeReceipt) -> str:
    return _brand_url(client, f"/notice/{read_token(client=client, receipt=receipt)}/")


def _key(client: Client, receipt: NoticeReceipt) -> str:
    return f"notice:{client.schema_name}:{receipt.pk}"


def _send_copies(
    client: Client, notice: EmployeeNotice, receipts: list[NoticeReceipt], at: datetime
) -> None:
    from agency.models import NotificationTopic
    from agency.notifications import notify_address

    line = _texts(client)["read_line"]
    for receipt in receipts:
        receipt.sent_key = _key(client, receipt)
        notify_address(
            address=receipt.employee.email,
            key=receipt.sent_key,
            topic=NotificationTopic.NOTICE,
            subject=notice.subject,
            body=f"{notice.body}\n\n{line}",
            link=read_link(client=client, receipt=receipt),
            client=client,
            at=at,
        )
    NoticeReceipt.objects.bulk_update(receipts, ["sent_key"], batch_size=1000)


def _note(incident: Incident, *, at: datetime, actor: str, note: str) -> None:
    IncidentEvent.objects.create(
        incident=incident, at=at, kind=IncidentEventKind.NOTE, actor=actor, note=note
    )


def notice_send(
    *,
    client: Client,
    incident: Incident,
    subject: str,
    body: str,
    remind_after_minutes: int = REMIND_DEFAULT,
    acting_user: User | None,
    now: datetime | None = None,
) -> tuple[EmployeeNotice, int]:
    """Send the notice to every active employee: one receipt each and one outbox message with
    their personal read link, keyed by the receipt, so nobody gets a copy twice. The same
    subject and body sent again for the incident is the same notice: it reaches only the active
    employees who have not had it (those added since), never anyone twice; a changed text is a
    new notice to everyone. Written with its timeline row and audit event in one transaction
    (the messages leave after commit). Returns the notice and how many copies went now."""
    tenancy.require_tenant(client)
    subject, body = subject.strip(), body.strip()
    if not subject or len(subject) > SUBJECT_MAX:
        raise NoticeError(f"Give a subject of at most {SUBJECT_MAX} characters.", field="subject")
    if not body or len(body) > BODY_MAX:
        raise NoticeError(f"Give a text of at most {BODY_MAX:,} characters.", field="body")
    low, high = REMIND_RANGE
    if not low <= remind_after_minutes <= high:
        raise NoticeError(
            f"Remind after between {low} and {high} minutes.", field="remind_after_minutes"
        )
    now = now or timezone.now()
    actor = acting_user.email if acting_user is not None and acting_user.pk else ""
    with transaction.atomic():
        # One send at a time per incident: a double click finds the notice the first made.
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status == IncidentStatus.CLOSED:
            raise NoticeError("The incident is closed.")
        notice = EmployeeNotice.objects.filter(
            incident=incident, subject=subject, body=body
        ).first()
        again = notice is not None
        if notice is None:
            notice = EmployeeNotice.objects.create(
                incident=incident,
                subject=subject,
                body=body,
                created_by=actor,
                sent_at=now,
                remind_after_minutes=remind_after_minutes,
            )
        employees = Employee.objects.filter(is_active=True).exclude(receipts__notice=notice)
        receipts = NoticeReceipt.objects.bulk_create(
            NoticeReceipt(notice=notice, employee=e) for e in employees.order_by("id")
        )
        if not receipts and not again:
            raise NoticeError("The brand has no active employees: upload the employee list first.")
        if receipts:
            _send_copies(client, notice, receipts, now)
            _note(
                incident,
                at=now,
                actor=actor,
                note=(
                    f'Notice "{subject}" sent to {len(receipts)} employees'
                    + (" who had not had it." if again else ".")
                )[:2000],
            )
            audit_record(
                verb="notice.sent",
                acting_user=acting_user,
                client_slug=client.slug,
                incident=incident.pk,
                notice=notice.pk,
                employees=len(receipts),
            )
    return notice, len(receipts)


def notice_receipt_read(
    *, client: Client, token: str, now: datetime | None = None
) -> NoticeReceipt | None:
    """An employee opened their link: the receipt (with its notice), its read time recorded the
    first time. None for a valid link of another brand or a receipt that is gone; a link that is
    not ours or has expired raises NoticeError."""
    tenancy.require_tenant(client)
    try:
        data = signing.loads(token, salt=READ_SALT, max_age=READ_MAX_AGE)
    except signing.BadSignature:
        raise NoticeError("This link is not valid or has expired.") from None
    if not isinstance(data, dict) or data.get("s") != client.schema_name:
        return None
    receipt_id, employee_id = data.get("r"), data.get("e")
    if not isinstance(receipt_id, int) or not isinstance(employee_id, int):
        return None
    receipt = (
        NoticeReceipt.objects.select_related("notice", "notice__incident", "employee")
        .filter(pk=receipt_id, employee_id=employee_id)
        .first()
    )
    if receipt is None:
        return None
    if receipt.read_at is None:
        now = now or timezone.now()
        # Conditional: two opens at once record the first.
        NoticeReceipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(read_at=now)
        receipt.refresh_from_db(fields=["read_at"])
    return receipt


def notice_reminders_send(*, client: Client, now: datetime | None = None) -> int:
    """Periodic, per brand: each active employee who has not opened a notice of an open incident
    `remind_after_minutes` after their copy went out is reminded once (the outbox key ends in
    ":remind"), and the incident's timeline says how many. Safe to run twice, or in two workers.
    Returns the reminders sent."""
    from agency.models import Notification, NotificationTopic
    from agency.notifications import notify_address

    tenancy.require_tenant(client)
    now = now or timezone.now()
    texts = _texts(client)
    waiting = (
        EmployeeNotice.objects.select_related("incident")
        .exclude(incident__status=IncidentStatus.CLOSED)
        .filter(
            receipts__read_at__isnull=True,
            receipts__reminded_at__isnull=True,
            receipts__employee__is_active=True,
        )
        .distinct()
    )
    sent = 0
    for notice in waiting:
        if notice.sent_at + timedelta(minutes=notice.remind_after_minutes) > now:
            continue
        with transaction.atomic():
            due = list(
                NoticeReceipt.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("employee")
                .filter(
                    notice=notice,
                    read_at__isnull=True,
                    reminded_at__isnull=True,
                    employee__is_active=True,
                )
                .order_by("id")
            )
            # Each copy's own minutes: one sent later (to someone added since) waits its own.
            went = {
                key: (created_at, link)
                for key, created_at, link in Notification.objects.filter(
                    key__in=[r.sent_key for r in due]
                ).values_list("key", "created_at", "link")
            }
            wait = timedelta(minutes=notice.remind_after_minutes)
            due = [r for r in due if r.sent_key in went and went[r.sent_key][0] + wait <= now]
            if not due:
                continue
            for receipt in due:
                receipt.reminded_at = now
                notify_address(
                    address=receipt.employee.email,
                    key=f"{_key(client, receipt)}:remind",
                    topic=NotificationTopic.NOTICE,
                    subject=texts["remind_subject"].format(subject=notice.subject),
                    body=texts["remind_body"].format(body=notice.body)
                    + f"\n\n{texts['read_line']}",
                    # The same personal link as the notice's (one link per person and notice).
                    link=went[receipt.sent_key][1] or read_link(client=client, receipt=receipt),
                    client=client,
                    at=now,
                )
            NoticeReceipt.objects.bulk_update(due, ["reminded_at"], batch_size=1000)
            _note(
                notice.incident,
                at=now,
                actor="",
                note=(
                    f'Reminder of "{notice.subject}" to {len(due)} employees who had not read it.'
                )[:2000],
            )
            sent += len(due)
    return sent


# --- Reads ------------------------------------------------------------------------------------


def notice_read_counts(
    *, client: Client, incident: Incident
) -> list[tuple[EmployeeNotice, int, int]]:
    """The incident's notices, newest first, each with how many of its copies were read and how
    many went out."""
    tenancy.require_tenant(client)
    notices = (
        EmployeeNotice.objects.filter(incident=incident)
        .annotate(
            read=Count("receipts", filter=Q(receipts__read_at__isnull=False)),
            total=Count("receipts"),
        )
        .order_by("-sent_at", "-id")
    )
    return [(n, n.read, n.total) for n in notices]  # type: ignore[attr-defined]


def employees_active_count(*, client: Client) -> int:
    tenancy.require_tenant(client)
    return Employee.objects.filter(is_active=True).count()

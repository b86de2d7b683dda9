"""The employee list and the notice to the employees: the CSV import names every bad row and
never fails on any bytes; a notice reaches every active employee once through the outbox with a
personal read link that records the read once; who has not read it in time is reminded once;
the read count; another brand's employees never receive anything, and its links do not work
here."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.validators import EmailValidator
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.models import AuditEvent, Notification, NotificationStatus
from agency.notifications import notification_deliver
from clients import tenancy
from playbooks.models import (
    Employee,
    EmployeeNotice,
    Incident,
    IncidentStatus,
    NoticeReceipt,
    QAPage,
    QAVersion,
)
from playbooks.notices import (
    MAX_ROWS,
    READ_SALT,
    NoticeError,
    employee_active_set,
    employee_rows_parse,
    employees_import,
    notice_draft,
    notice_read_counts,
    notice_receipt_read,
    notice_reminders_send,
    notice_send,
)
from playbooks.services import incident_open
from playbooks.tasks import notice_reminders
from tests.monitoring.test_escalation import raise_alert

pytestmark = pytest.mark.django_db

# Within the outbox's day (it gives up on older messages), on the minute.
SENT = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
GOOD = (
    "email,name,department,language\n"
    "anna@alpha.test,Anna de Vries,Sales,nl\n"
    "ben@alpha.test,Ben,Support,en\n"
)


def incident_of(client, *, by=None) -> Incident:  # type: ignore[no-untyped-def]
    alert = raise_alert(client, at=SENT - timedelta(minutes=30))
    with tenancy.tenant_context(client):
        incident = incident_open(client=client, alert=alert, acting_user=by)
    tenancy.reset_to_public()
    return incident


def staff_of(world, client):  # type: ignore[no-untyped-def]
    return world.staff_a if client == world.alpha else world.staff_b


def with_employees(world, client, csv: str = GOOD):  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        report = employees_import(
            client=client, data=csv.encode(), acting_user=staff_of(world, client)
        )
    tenancy.reset_to_public()
    return report


def send(world, client, incident, subject="Read this", body="Do not discuss it.", **kw):  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        result = notice_send(
            client=client,
            incident=incident,
            subject=subject,
            body=body,
            acting_user=staff_of(world, client),
            now=kw.pop("now", SENT),
            **kw,
        )
    tenancy.reset_to_public()
    return result


def notices_out(client) -> list[Notification]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(client=client, topic="notice").order_by("id"))


def page(world, user, client) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client))
    if user is not None:
        browser.force_login(user)
    return browser


def link_path(notification: Notification) -> str:
    match = re.fullmatch(r"https?://[^/]+(/notice/[^/]+/)", notification.link)
    assert match, notification.link
    return match.group(1)


# --- The import -------------------------------------------------------------------------------


def test_the_import_stores_the_good_rows_and_names_every_bad_one(world):
    csv = (
        "\ufeffE-mail;Name;Department;Language\n"  # line 1: BOM, ; and a header as typed
        "anna@alpha.test;Anna de Vries;Sales;nl\n"
        "BEN@Alpha.test ; Ben ; Support ; EN\n"
        "\n"  # a blank line is no row
        'cleo@alpha.test;"Cleo; the second";;sv-SE\n'
        "dirk@alpha.test;Dirk;Legal;de\n"  # line 6
        "bob@;Bob;;\n"  # line 7
        "anna@alpha.test;Anna again;;\n"  # line 8
        ";Nobody;;\n"  # line 9
        "eve@alpha.test;Eve;IT;en;surplus\n"  # line 10
        'fay@alpha.test;"Fay\nOn two lines";;\n'  # lines 11-12: one record
        "gus@alpha.test;Gus\x07;;\n"  # line 13
        "hal@alpha.test;Hal;;;\n"  # an empty surplus field is fine
    )
    with tenancy.tenant_context(world.alpha):
        report = employees_import(client=world.alpha, data=csv.encode(), acting_user=world.staff_a)
        assert (report.created, report.updated) == (5, 0)
        assert report.errors == [
            (6, "language 'de' is not one of en, nl, sv (or empty)"),
            (7, "'bob@' is not an e-mail address"),
            (8, "'anna@alpha.test' is on line 2 already"),
            (9, "no e-mail address"),
            (10, "expected 4 columns, found 5"),
            (13, "the name holds control characters"),
        ]
        stored = {e.email: (e.name, e.department, e.language) for e in Employee.objects.all()}
        assert stored == {
            "anna@alpha.test": ("Anna de Vries", "Sales", "nl"),
            "ben@alpha.test": ("Ben", "Support", "en"),
            "cleo@alpha.test": ("Cleo; the second", "", "sv"),
            "fay@alpha.test": ("Fay On two lines", "", ""),
            "hal@alpha.test": ("Hal", "", ""),
        }
        audit = AuditEvent.objects.filter(verb="employees.imported").latest("id")
        assert audit.detail == {"created": 5, "updated": 0, "errors": 6}
        # Again, with one change, and a deactivated employee who stays so.
        employee_active_set(
            client=world.alpha,
            employee=Employee.objects.get(email="ben@alpha.test"),
            active=False,
            acting_user=world.staff_a,
        )
        again = employees_import(
            client=world.alpha,
            data=b"email,name\nanna@alpha.test,Anna Jansen\nben@alpha.test,Ben\n",
            acting_user=world.staff_a,
        )
        assert (again.created, again.updated, again.errors) == (0, 1, [])
        assert Employee.objects.get(email="anna@alpha.test").name == "Anna Jansen"
        assert Employee.objects.get(email="ben@alpha.test").is_active is False
    with tenancy.tenant_context(world.bravo):
        assert not Employee.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"name,department\nAnna,Sales\n", "line 1: the header has no email column"),
        (b"email\nanna@alpha.test\nbj\xf6rn@alpha.test\n", "line 3: not UTF-8 text (byte 0xf6)"),
        (b"email\n" + b"x" * (5 * 1024 * 1024), "larger than 5 MB"),
        (
            b"email\n" + b"".join(b"p%d@alpha.test\n" % i for i in range(MAX_ROWS + 1)),
            "line 20002: more than 20,000 rows",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(world, data, message):
    with tenancy.tenant_context(world.alpha):
        with pytest.raises(NoticeError) as refused:
            employees_import(client=world.alpha, data=data, acting_user=world.staff_a)
        assert message in refused.value.message
        assert not Employee.objects.exists()


def _emails_of(data: bytes) -> set[str]:
    try:
        rows, _errors = employee_rows_parse(data)
    except NoticeError:
        return set()
    return {r.email for r in rows}


FRAGMENTS = st.sampled_from(
    [
        "email,name,department,language\n",
        "email;name\n",
        "anna@alpha.test,Anna,Sales,nl\n",
        "ben@alpha.test;Ben\n",
        "bob@,Bob\n",
        '"unclosed,quote\n',
        "\ufeff",
        "\x00",
        "\r\n",
        ",,,,,,\n",
        "é@ü.test,Ünï,çø,sv\n",
        "x" * 300 + "@alpha.test\n",
        '"a""b"@alpha.test,"multi\nline"\n',
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(
        st.binary(max_size=600),
        st.lists(FRAGMENTS, max_size=12).map(lambda parts: "".join(parts).encode()),
        st.lists(st.one_of(FRAGMENTS, st.text(max_size=30)), max_size=10).map(
            lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_any_bytes_give_a_report_or_a_refusal_and_store_only_valid_rows(world, data):
    """Whatever arrives: a report (valid rows stored once, each bad row named with a line in
    the file) or a refusal that stores nothing; never another exception; the list readable."""
    with tenancy.tenant_context(world.alpha):
        Employee.objects.all().delete()
        try:
            report = employees_import(client=world.alpha, data=data, acting_user=world.staff_a)
        except NoticeError as refused:
            assert refused.message
            assert not Employee.objects.exists()
            return
        stored = set(Employee.objects.values_list("email", flat=True))
        assert stored == _emails_of(data)
        for email in stored:
            EmailValidator()(email)
            assert email == email.lower() and email.strip() == email
        assert report.created == len(stored) and report.updated == 0
        lines = data.count(b"\n") + data.count(b"\r") + 1
        assert all(1 < line <= lines and reason for line, reason in report.errors)
        assert [line for line, _ in report.errors] == sorted(line for line, _ in report.errors)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.one_of(st.binary(max_size=300), st.lists(FRAGMENTS, max_size=8).map("".join)))
def test_the_upload_page_never_fails_on_any_bytes(world, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = data if isinstance(data, bytes) else data.encode()
    browser = page(world, world.staff_a, world.alpha)
    response = browser.post("/employees/", {"file": SimpleUploadedFile("list.csv", body)})
    assert response.status_code in (200, 400)
    assert b"Employees" in response.content


# --- The employee list page -------------------------------------------------------------------


def test_the_employee_list_page_uploads_lists_and_deactivates(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    browser = page(world, world.staff_a, world.alpha)
    csv = GOOD + "bob@,Bob,,\n"
    response = browser.post("/employees/", {"file": SimpleUploadedFile("staff.csv", csv.encode())})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 new, 0 updated, 1 row not stored." in html
    assert "line 4: &#x27;bob@&#x27; is not an e-mail address" in html
    assert "anna@alpha.test" in html and "2 active employees" in html
    with tenancy.tenant_context(world.alpha):
        anna = Employee.objects.get(email="anna@alpha.test")
    tenancy.reset_to_public()
    assert f'action="/employees/{anna.pk}/active/"' in html
    response = browser.post(f"/employees/{anna.pk}/active/", {"active": "0", "page": "1"})
    assert response.status_code == 302 and response["Location"] == "/employees/?page=1"
    html = browser.get("/employees/").content.decode()
    assert "anna@alpha.test receives no more notices." in html
    assert "1 active employee" in html and "No (deactivated)" in html
    # Refusals: a file that is not UTF-8 is named, nothing is stored.
    response = browser.post(
        "/employees/", {"file": SimpleUploadedFile("x.csv", b"email\n\xff\xfe\n")}
    )
    assert response.status_code == 400
    assert "line 2: not UTF-8 text (byte 0xff)" in response.content.decode()


def test_a_viewer_reads_the_list_without_controls_and_another_brand_sees_none(world):
    with_employees(world, world.alpha)
    viewer = page(world, world.viewer_a, world.alpha)
    html = viewer.get("/employees/").content.decode()
    assert "anna@alpha.test" in html
    assert 'type="file"' not in html and "Deactivate" not in html
    with tenancy.tenant_context(world.alpha):
        anna = Employee.objects.get(email="anna@alpha.test")
    tenancy.reset_to_public()
    assert viewer.post(f"/employees/{anna.pk}/active/", {"active": "0"}).status_code == 403
    assert viewer.post("/employees/", {}).status_code == 403
    # Bravo's people may not open Alpha's host; Bravo's own list holds none of Alpha's.
    assert page(world, world.staff_b, world.alpha).get("/employees/").status_code == 403
    bravo_html = page(world, world.staff_b, world.bravo).get("/employees/")
    assert bravo_html.status_code == 200 and "anna@alpha.test" not in bravo_html.content.decode()
    assert "No employees yet." in bravo_html.content.decode()
    with tenancy.tenant_context(world.alpha):
        assert Employee.objects.get(pk=anna.pk).is_active


def _queries(browser: HttpClient, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(path).status_code == 200
    return len(queries)


def test_the_list_pages_take_the_same_queries_whatever_their_length(world):
    browser = page(world, world.staff_a, world.alpha)
    with_employees(world, world.alpha)
    incident = incident_of(world.alpha)
    send(world, world.alpha, incident)
    _queries(browser, "/employees/")  # (the first request of a session reads a little more)
    small = (
        _queries(browser, "/employees/"),
        _queries(browser, f"/incidents/{incident.pk}/notice/"),
    )
    more = "".join(f"p{i}@alpha.test,P {i},,\n" for i in range(30))
    with_employees(world, world.alpha, "email,name,department,language\n" + more)
    send(world, world.alpha, incident, subject="Second")
    send(world, world.alpha, incident, subject="Third")
    large = (
        _queries(browser, "/employees/"),
        _queries(browser, f"/incidents/{incident.pk}/notice/"),
    )
    assert small == large
    assert large == (7, 8)


# --- The notice -------------------------------------------------------------------------------


def test_the_draft_is_in_the_brands_language_with_the_guideline_and_the_qa_link(world):
    incident = incident_of(world.alpha)
    with tenancy.tenant_context(world.alpha):
        subject, body = notice_draft(client=world.alpha, incident=incident)
        # Not the desk's alert title: a plain phrase until the Q&A page gives the incident a name.
        assert subject == (
            'Alpha Bakery: wat te doen als je gevraagd wordt naar "wat er online over Alpha '
            'Bakery gezegd wordt"'
        )
        assert incident.title not in subject + body
        assert "te maken met het volgende: wat er online over Alpha Bakery gezegd wordt." in body
        assert "Ga er niet over in discussie" in body and "LinkedIn" in body
        assert "Verwijs mensen naar onze officiële kanalen" in body  # no Q&A page yet
        version = QAVersion.objects.create(
            page=QAPage.objects.create(incident=incident, code="stroom1", created_at=SENT),
            number=1,
            language="nl",
            title="Q&A",
            created_by="staff_a@example.test",
            created_at=SENT,
            published_at=SENT,
        )
        QAPage.objects.filter(pk=version.page_id).update(published=version)
        subject, body = notice_draft(client=world.alpha, incident=incident)
        assert "Verwijs mensen naar onze Q&A-pagina, die we actueel houden: http" in body
        assert subject.endswith('gevraagd wordt naar "Q&A"')  # the published page's title
        assert "alpha.agency.localhost" in body and "/qa/stroom1/" in body
    bravo = incident_of(world.bravo)
    with tenancy.tenant_context(world.bravo):
        subject, body = notice_draft(client=world.bravo, incident=bravo)
        assert subject.startswith("Bravo Boats: vad du gör om du får frågor om")
        assert "Diskutera det inte" in body and "/qa/" not in body


def test_a_notice_reaches_every_active_employee_once(world):
    with_employees(world, world.alpha, GOOD + "cleo@alpha.test,Cleo,,\n")
    with_employees(world, world.bravo, "email\nbritt@bravo.test\n")
    with tenancy.tenant_context(world.alpha):
        cleo = Employee.objects.get(email="cleo@alpha.test")
        employee_active_set(client=world.alpha, employee=cleo, active=False, acting_user=None)
    tenancy.reset_to_public()
    incident = incident_of(world.alpha, by=world.staff_a)
    notice, copies = send(world, world.alpha, incident)
    assert copies == 2
    out = notices_out(world.alpha)
    assert sorted(n.to_address for n in out) == ["anna@alpha.test", "ben@alpha.test"]
    with tenancy.tenant_context(world.alpha):
        receipts = {r.employee.email: r for r in NoticeReceipt.objects.select_related("employee")}
        assert set(receipts) == {"anna@alpha.test", "ben@alpha.test"}
        for n in out:
            receipt = receipts[n.to_address]
            assert n.key == receipt.sent_key == f"notice:brand_alpha:{receipt.pk}"
            assert (n.subject, n.status, n.user_id) == ("Read this", "pending", None)
            assert n.body.startswith("Do not discuss it.\n\nOpen je persoonlijke link")
            assert n.link.startswith("http://alpha.agency.localhost")
        note = incident.events.filter(kind="note").latest("id")
        assert note.note == 'Notice "Read this" sent to 2 employees.'
        assert note.actor == world.staff_a.email
    tenancy.reset_to_public()
    assert AuditEvent.objects.filter(verb="notice.sent", detail__notice=notice.pk).count() == 1
    # Sent again (a double click, a retried request): the same notice, nobody twice.
    again, copies = send(world, world.alpha, incident)
    assert (again.pk, copies) == (notice.pk, 0)
    assert len(notices_out(world.alpha)) == 2
    # Someone added since gets it when it is sent again; the others still once.
    with_employees(world, world.alpha, "email\ndana@alpha.test\n")
    _same, copies = send(world, world.alpha, incident)
    assert copies == 1
    assert [n.to_address for n in notices_out(world.alpha)][-1] == "dana@alpha.test"
    # Delivered through the outbox: one e-mail each, with the personal link.
    mail.outbox.clear()
    for n in notices_out(world.alpha):
        status = notification_deliver(notification_id=n.pk)
        assert status == NotificationStatus.DELIVERED, Notification.objects.get(pk=n.pk).last_error
        assert notification_deliver(notification_id=n.pk) == NotificationStatus.DELIVERED
    assert sorted(m.to[0] for m in mail.outbox) == [
        "anna@alpha.test",
        "ben@alpha.test",
        "dana@alpha.test",
    ]
    assert all("/notice/" in m.body and m.subject == "Read this" for m in mail.outbox)
    # Bravo's employee received nothing, and Bravo has no notice.
    assert not Notification.objects.filter(to_address="britt@bravo.test").exists()
    with tenancy.tenant_context(world.bravo):
        assert not EmployeeNotice.objects.exists()


def test_a_changed_text_is_a_new_notice_and_refusals(world):
    incident = incident_of(world.alpha)
    with pytest.raises(NoticeError, match="no active employees"):
        send(world, world.alpha, incident)
    with_employees(world, world.alpha)
    first, _ = send(world, world.alpha, incident)
    second, copies = send(world, world.alpha, incident, body="Changed: do not discuss it.")
    assert second.pk != first.pk and copies == 2
    assert len(notices_out(world.alpha)) == 4
    for kwargs, field in (
        ({"subject": " "}, "subject"),
        ({"body": "x" * 10_001}, "body"),
        ({"remind_after_minutes": 0}, "remind_after_minutes"),
    ):
        with pytest.raises(NoticeError) as refused:
            send(world, world.alpha, incident, **kwargs)
        assert refused.value.field == field
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    with pytest.raises(NoticeError, match="closed"):
        send(world, world.alpha, incident, subject="After")
    assert len(notices_out(world.alpha)) == 4


def test_the_notice_page_sends_and_shows_the_read_count(world):
    with_employees(world, world.alpha)
    incident = incident_of(world.alpha)
    browser = page(world, world.staff_a, world.alpha)
    html = browser.get(f"/incidents/{incident.pk}/notice/").content.decode()
    assert "wat te doen als je gevraagd wordt naar" in html  # the brand's language
    assert "It goes to 2 active employees." in html and 'value="30"' in html
    assert "No notice sent yet." in html
    response = browser.post(
        f"/incidents/{incident.pk}/notice/",
        {"subject": "Lees dit", "body": "Niet over discussiëren.", "remind_after_minutes": "45"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/notice/"
    html = browser.get(response["Location"]).content.decode()
    assert "The notice went to 2 employees." in html
    assert "0 of 2 read" in html and "reminder after 45 min" in html
    assert len(notices_out(world.alpha)) == 2
    with tenancy.tenant_context(world.alpha):
        assert EmployeeNotice.objects.get().remind_after_minutes == 45
    tenancy.reset_to_public()
    # Read by one: the count, also in the part htmx polls.
    page(world, None, world.alpha).get(link_path(notices_out(world.alpha)[0]))
    part = browser.get(f"/incidents/{incident.pk}/notice/counts/").content.decode()
    assert "1 of 2 read" in part and 'hx-trigger="every 15s"' in part
    # An invalid form is answered on the page, nothing sent.
    response = browser.post(
        f"/incidents/{incident.pk}/notice/",
        {"subject": "", "body": "x", "remind_after_minutes": "0"},
    )
    assert response.status_code == 400 and len(notices_out(world.alpha)) == 2


def test_a_viewer_sees_the_count_but_cannot_send_and_other_brands_see_nothing(world):
    with_employees(world, world.alpha)
    incident = incident_of(world.alpha)
    send(world, world.alpha, incident)
    viewer = page(world, world.viewer_a, world.alpha)
    html = viewer.get(f"/incidents/{incident.pk}/notice/").content.decode()
    assert "0 of 2 read" in html and "Send to the employees" not in html
    post = {"subject": "X", "body": "Y", "remind_after_minutes": "30"}
    assert viewer.post(f"/incidents/{incident.pk}/notice/", post).status_code == 403
    assert (
        page(world, world.staff_b, world.alpha).get(f"/incidents/{incident.pk}/notice/").status_code
        == 403
    )
    # Bravo's incident page shows none of Alpha's notices; an unknown incident is a 404.
    bravo_incident = incident_of(world.bravo)
    bravo = page(world, world.staff_b, world.bravo)
    html = bravo.get(f"/incidents/{bravo_incident.pk}/notice/").content.decode()
    assert "No notice sent yet." in html and "0 of 2 read" not in html
    assert bravo.get("/incidents/999999/notice/").status_code == 404
    assert len(notices_out(world.alpha)) == 2 and not notices_out(world.bravo)


# --- The read link ----------------------------------------------------------------------------


def test_the_read_link_works_logged_out_and_records_once(world):
    with_employees(world, world.alpha)
    incident = incident_of(world.alpha)
    send(world, world.alpha, incident, body="Zie https://alpha.test/info voor meer.")
    first = notices_out(world.alpha)[0]
    employee = page(world, None, world.alpha)
    response = employee.get(link_path(first))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Read this" in html and '<a href="https://alpha.test/info"' in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    with tenancy.tenant_context(world.alpha):
        receipt = NoticeReceipt.objects.get(sent_key=first.key)
        read_at = receipt.read_at
        assert read_at is not None
        assert [r for _n, r, _t in notice_read_counts(client=world.alpha, incident=incident)] == [1]
    tenancy.reset_to_public()
    assert employee.get(link_path(first)).status_code == 200
    with tenancy.tenant_context(world.alpha):
        assert NoticeReceipt.objects.get(pk=receipt.pk).read_at == read_at
        assert NoticeReceipt.objects.filter(read_at__isnull=False).count() == 1


def test_a_forged_or_another_brands_link_does_not_work(world):
    with_employees(world, world.alpha)
    with_employees(world, world.bravo, "email\nbritt@bravo.test\n")
    send(world, world.alpha, incident_of(world.alpha))
    alpha_link = link_path(notices_out(world.alpha)[0])
    send(world, world.bravo, incident_of(world.bravo))
    bravo_link = link_path(notices_out(world.bravo)[0])
    anonymous = page(world, None, world.alpha)
    token = alpha_link.split("/")[2]
    forged = signing.dumps({"s": "brand_alpha", "r": 1, "e": 1}, salt="another-salt")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense"):
        response = anonymous.get(f"/notice/{bad}/")
        assert response.status_code == 400
        assert "Deze link werkt niet" in response.content.decode()  # the brand's language
    # Bravo's valid link on Alpha's host: not found, and Bravo's receipt stays unread.
    assert anonymous.get(bravo_link).status_code == 404
    # A signed token for a receipt of Alpha that is not this employee's.
    with tenancy.tenant_context(world.alpha):
        receipt = NoticeReceipt.objects.order_by("id").first()
        assert receipt is not None
        stolen = signing.dumps(
            {"s": "brand_alpha", "r": receipt.pk, "e": receipt.employee_id + 1000}, salt=READ_SALT
        )
    tenancy.reset_to_public()
    assert anonymous.get(f"/notice/{stolen}/").status_code == 404
    with tenancy.tenant_context(world.alpha):
        assert not NoticeReceipt.objects.filter(read_at__isnull=False).exists()
        with pytest.raises(NoticeError):
            notice_receipt_read(client=world.alpha, token="x")
    with tenancy.tenant_context(world.bravo):
        assert not NoticeReceipt.objects.filter(read_at__isnull=False).exists()
    # The right host reads it.
    assert page(world, None, world.bravo).get(bravo_link).status_code == 200


# --- Reminders --------------------------------------------------------------------------------


def test_who_has_not_read_it_in_time_is_reminded_once(world):
    with_employees(world, world.alpha, GOOD + "cleo@alpha.test,Cleo,,\n")
    with_employees(world, world.bravo, "email\nbritt@bravo.test\n")
    incident = incident_of(world.alpha)
    send(world, world.alpha, incident, remind_after_minutes=30)
    send(world, world.bravo, incident_of(world.bravo), remind_after_minutes=30)
    anna, ben, cleo = notices_out(world.alpha)
    page(world, None, world.alpha).get(link_path(anna))  # Anna read it
    with tenancy.tenant_context(world.alpha):
        employee_active_set(
            client=world.alpha,
            employee=Employee.objects.get(email="cleo@alpha.test"),
            active=False,
            acting_user=None,
        )  # Cleo left meanwhile
        assert notice_reminders_send(client=world.alpha, now=SENT + timedelta(minutes=29)) == 0
        assert notice_reminders_send(client=world.alpha, now=SENT + timedelta(minutes=31)) == 1
        assert notice_reminders_send(client=world.alpha, now=SENT + timedelta(minutes=50)) == 0
        receipt = NoticeReceipt.objects.get(employee__email="ben@alpha.test")
        assert receipt.reminded_at == SENT + timedelta(minutes=31)
        note = incident.events.filter(kind="note").latest("id")
        assert note.note == 'Reminder of "Read this" to 1 employees who had not read it.'
    tenancy.reset_to_public()
    reminders = Notification.objects.filter(key__endswith=":remind")
    assert [(n.to_address, n.key) for n in reminders] == [("ben@alpha.test", f"{ben.key}:remind")]
    (reminder,) = reminders
    assert reminder.subject == "Herinnering: Read this"
    assert reminder.link == ben.link and "nog niet geopend" in reminder.body
    # Bravo's run, through its task: its own employee only.
    assert notice_reminders.apply(kwargs={"schema_name": "brand_bravo"}).get() == 1
    assert list(
        Notification.objects.filter(key__endswith=":remind").values_list("to_address", flat=True)
    ) == ["ben@alpha.test", "britt@bravo.test"]
    assert not Notification.objects.filter(key=f"{cleo.key}:remind").exists()


def test_a_closed_incident_reminds_nobody(world):
    with_employees(world, world.alpha)
    incident = incident_of(world.alpha)
    send(world, world.alpha, incident)
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
        assert notice_reminders_send(client=world.alpha, now=SENT + timedelta(hours=2)) == 0
    assert not Notification.objects.filter(key__endswith=":remind").exists()


def test_a_copy_sent_later_waits_its_own_minutes_before_a_reminder(world):
    with_employees(world, world.alpha, "email\nanna@alpha.test\n")
    incident = incident_of(world.alpha)
    send(world, world.alpha, incident, remind_after_minutes=30)
    with_employees(world, world.alpha, "email\nben@alpha.test\n")
    send(world, world.alpha, incident, now=SENT + timedelta(minutes=40))  # the same text
    anna, ben = notices_out(world.alpha)
    assert (anna.created_at, ben.created_at) == (SENT, SENT + timedelta(minutes=40))
    with tenancy.tenant_context(world.alpha):
        assert notice_reminders_send(client=world.alpha, now=SENT + timedelta(minutes=45)) == 1
        assert notice_reminders_send(client=world.alpha, now=SENT + timedelta(minutes=69)) == 0
        assert notice_reminders_send(client=world.alpha, now=SENT + timedelta(minutes=71)) == 1
    reminded = Notification.objects.filter(key__endswith=":remind").order_by("id")
    assert [n.to_address for n in reminded] == ["anna@alpha.test", "ben@alpha.test"]

"""A person's notifications page (/me/notifications/): their contact methods, added, tested
and removed; the link of a test message confirms the method (a bad one says so, 400); the
rules editor; the recent messages to them; push on this device (the subscription posted by
push.js, the service worker at /sw.js). For the agency's people only; another person's methods
and messages stay invisible and untouchable; the page costs a fixed number of queries; no
posted text makes it fail."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import apprise
import pytest
from django.core import signing
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.forms_contact import APPRISE_EXAMPLES
from agency.middleware import portal_url
from agency.models import (
    AuditEvent,
    ContactKind,
    ContactMethod,
    Notification,
    NotificationRule,
    NotificationTopic,
)
from agency.notifications import (
    VERIFY_SALT,
    contact_method_add,
    contact_method_test,
    notify_person,
    verify_token,
)
from agency.transports import vapid_public_key
from tests.agency.test_transports import push_device

pytestmark = pytest.mark.django_db

PAGE = "/me/notifications/"


def portal(world, user, **kwargs) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(None), **kwargs)
    if user is not None:
        browser.force_login(user)
    return browser


def email_method(user, address: str = "night@example.test", *, verified: bool = False):  # type: ignore[no-untyped-def]
    method = contact_method_add(user=user, kind=ContactKind.EMAIL, target=address)
    if verified:
        method.verified_at = timezone.now()
        method.save(update_fields=["verified_at"])
    return method


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


# --- Who may open it ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "manager", "staff_a"])
def test_the_agencys_people_open_their_page(world, who):
    response = portal(world, getattr(world, who)).get(PAGE)
    assert response.status_code == 200
    text = text_of(response)
    for heading in (
        "Your contact methods",
        "Add an e-mail address",
        "Add a chat or SMS service",
        "Push to this device",
        "Your rules",
        "Recent messages to you",
    ):
        assert heading in text
    email = getattr(world, who).email
    assert f"pages reach you at your account's e-mail address, {email}" in text


@pytest.mark.parametrize("who", ["viewer_a", "outsider"])
def test_client_viewers_and_people_without_a_role_are_refused(world, who):
    browser = portal(world, getattr(world, who))
    assert browser.get(PAGE).status_code == 403
    assert browser.post(f"{PAGE}email/", {"email-target": "x@example.test"}).status_code == 403
    assert browser.post(f"{PAGE}rules/", {}).status_code == 403
    assert browser.post(f"{PAGE}push/", b"{}", content_type="application/json").status_code == 403
    assert not ContactMethod.objects.exists()


def test_a_visitor_is_sent_to_log_in(world):
    response = portal(world, None).get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_is_on_the_portal_only(world):
    browser = HttpClient(HTTP_HOST=world.host(world.alpha))
    browser.force_login(world.staff_a)
    assert browser.get(PAGE).status_code == 404


def test_the_header_links_to_it_for_the_agencys_people_but_not_for_viewers(world):
    link = f'href="{portal_url("/me/notifications/")}"'
    assert link in portal(world, world.staff_a).get("/coverage/").content.decode()
    brand = HttpClient(HTTP_HOST=world.host(world.alpha))
    brand.force_login(world.staff_a)
    assert link in brand.get("/").content.decode()
    brand.force_login(world.viewer_a)
    assert link not in brand.get("/").content.decode()


# --- Methods: add, test, confirm, remove ---------------------------------------------------------


def test_a_person_adds_an_email_address_which_waits_for_confirmation(world):
    browser = portal(world, world.staff_a)
    response = browser.post(
        f"{PAGE}email/", {"email-target": "Night@Example.test", "email-label": "private"}
    )
    assert response.status_code == 302 and response["Location"] == f"{PAGE}#methods"
    method = ContactMethod.objects.get(user=world.staff_a)
    assert (method.kind, method.label, method.verified_at) == ("email", "private", None)
    page = text_of(browser.get(PAGE))
    assert "E-mail · private night@example.test waiting for your confirmation" in page
    assert "Send it a test message and open its link to confirm it" in page
    # staff_b sees nothing of it
    assert "night@example.test" not in text_of(portal(world, world.staff_b).get(PAGE))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email-target": "not an address"}, "target", "Enter a valid email address."),
        ({"email-target": ""}, "target", "This field is required."),
        ({"email-target": "a@example.test", "email-label": "x" * 101}, "label", "at most 100"),
    ],
)
def test_a_bad_address_is_a_field_error(world, data, field, message):
    response = portal(world, world.staff_a).post(f"{PAGE}email/", data)
    assert response.status_code == 400
    errors = response.context["email_form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert f'id="id_email-{field}_error"' in response.content.decode()
    assert not ContactMethod.objects.exists()


def test_a_chat_service_is_added_by_its_apprise_url_and_a_wrong_one_is_a_field_error(world):
    browser = portal(world, world.staff_a)
    response = browser.post(
        f"{PAGE}apprise/", {"apprise-target": "ntfys://ntfy.example.test/desk-alerts"}
    )
    assert response.status_code == 302
    method = ContactMethod.objects.get(user=world.staff_a)
    assert (method.kind, method.target_hint) == ("apprise", "ntfys://ntfy.example.test")
    assert "desk-alerts" not in browser.get(PAGE).content.decode()  # the target is never shown
    refused = browser.post(f"{PAGE}apprise/", {"apprise-target": "msteams://team/a/b/c"})
    assert refused.status_code == 400
    errors = refused.context["apprise_form"].errors
    assert list(errors) == ["target"] and "Apprise does not know this URL" in errors["target"][0]


def test_the_help_lists_services_apprise_knows(world):
    known: set[str] = set()
    for schema in apprise.Apprise().details()["schemas"]:
        for key in ("protocols", "secure_protocols"):
            value = schema.get(key) or []
            known.update([value] if isinstance(value, str) else value)
    schemes = [pattern.split("://")[0] for _service, pattern in APPRISE_EXAMPLES]
    assert set(schemes) <= known
    assert {"tgram", "slack", "workflows", "signal", "ntfy", "pover", "twilio"} <= set(schemes)
    page = portal(world, world.staff_a).get(PAGE).content.decode()
    for _service, pattern in APPRISE_EXAMPLES:
        assert f"<code>{pattern}</code>" in page


def test_send_test_writes_the_message_and_its_link_confirms_the_method(world):
    method = email_method(world.staff_a)
    browser = portal(world, world.staff_a)
    response = browser.post(f"{PAGE}{method.pk}/test/")
    assert response.status_code == 302
    row = Notification.objects.get(method=method)
    assert (row.topic, row.user, row.kind) == (NotificationTopic.TEST, world.staff_a, "email")
    page = text_of(browser.get(PAGE))
    assert "A test message is on its way to night@example.test" in page
    assert "Stormdesk test message" in page  # in the recent messages
    assert row.link not in browser.get(PAGE).content.decode()  # the page never shows the link
    # At once again: refused, nothing written
    browser.post(f"{PAGE}{method.pk}/test/")
    assert Notification.objects.filter(method=method).count() == 1
    assert "you may send another in" in text_of(browser.get(PAGE))
    # The link, opened anywhere (no log-in)
    confirmed = portal(world, None).get(urlsplit(row.link).path)
    assert confirmed.status_code == 200
    assert "Verified" in text_of(confirmed)
    method.refresh_from_db()
    assert method.verified_at is not None
    assert AuditEvent.objects.filter(verb="contact.verified", actor=world.staff_a).count() == 1
    assert re.search(
        r"E-mail night@example.test verified \d\d:\d\d UTC \(\+00:00\)", text_of(browser.get(PAGE))
    )


def _expired_token(method: ContactMethod) -> str:
    class LongAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int((timezone.now() - timedelta(days=3)).timestamp()))

    return LongAgo(salt=VERIFY_SALT).sign_object(
        {"m": method.pk, "u": method.user_id}, compress=True
    )


def test_a_bad_expired_or_orphaned_link_says_so_and_confirms_nothing(world):
    method = email_method(world.staff_a)
    good = verify_token(method)
    browser = portal(world, None)
    for token in ("nonsense", good[:-2] + "xx", _expired_token(method), "ä:ö", good + "."):
        response = browser.get(f"{PAGE}verify/{token}/")
        assert response.status_code == 400, token
        assert "This confirmation link is not valid or has expired." in text_of(response)
    method.refresh_from_db()
    assert method.verified_at is None
    method.delete()
    gone = browser.get(f"{PAGE}verify/{good}/")
    assert gone.status_code == 400 and "no longer exists" in text_of(gone)


def test_another_persons_method_cannot_be_tested_or_removed(world):
    theirs = email_method(world.staff_b, "bravo-night@example.test")
    browser = portal(world, world.staff_a)
    assert browser.post(f"{PAGE}{theirs.pk}/test/").status_code == 404
    assert browser.post(f"{PAGE}{theirs.pk}/remove/").status_code == 404
    assert browser.post(f"{PAGE}{10**30}/test/").status_code == 404
    assert ContactMethod.objects.filter(pk=theirs.pk).exists()
    assert not Notification.objects.exists()
    assert browser.get(f"{PAGE}{theirs.pk}/test/").status_code == 405


def test_a_person_removes_a_method_and_its_rules_go_with_it(world):
    method = email_method(world.staff_a, verified=True)
    NotificationRule.objects.create(user=world.staff_a, method=method, after_minutes=5)
    browser = portal(world, world.staff_a)
    assert browser.post(f"{PAGE}{method.pk}/remove/").status_code == 302
    assert not ContactMethod.objects.filter(pk=method.pk).exists()
    assert not NotificationRule.objects.exists()
    assert "night@example.test removed." in text_of(browser.get(PAGE))


# --- Rules --------------------------------------------------------------------------------------


def test_rules_are_saved_and_the_plan_says_what_happens(world):
    mail_method = email_method(world.staff_a, verified=True)
    chat = contact_method_add(
        user=world.staff_a, kind=ContactKind.APPRISE, target="ntfy://desk-7f3a", label="ntfy"
    )
    browser = portal(world, world.staff_a)
    page = text_of(browser.get(PAGE))
    assert "When you are paged now: E-mail: night@example.test — at once" in page
    response = browser.post(
        f"{PAGE}rules/",
        {"method_0": mail_method.pk, "after_0": "", "method_1": chat.pk, "after_1": "5"},
    )
    assert response.status_code == 302 and response["Location"] == f"{PAGE}#rules"
    assert list(
        NotificationRule.objects.filter(user=world.staff_a).values_list("method", "after_minutes")
    ) == [(mail_method.pk, 0), (chat.pk, 5)]
    page = text_of(browser.get(PAGE))
    assert "Your rules are saved." in page
    # the chat waits for its confirmation: the plan leaves it out until then
    assert "When you are paged now: E-mail: night@example.test — at once Without" not in page
    plan = page.split("When you are paged now:")[1].split("Reach me by")[0]
    assert "E-mail: night@example.test — at once" in plan and "ntfy" not in plan
    chat.verified_at = timezone.now()
    chat.save()
    plan = text_of(browser.get(PAGE)).split("When you are paged now:")[1].split("Reach me by")[0]
    assert "Chat or SMS (an apprise URL): ntfy — after 5 minutes" in plan
    # the saved rules are the editor's rows
    html = browser.get(PAGE).content.decode()
    assert f'<option value="{chat.pk}" selected>' in html
    assert 'name="after_1" value="5"' in html
    # and an empty form clears them
    assert browser.post(f"{PAGE}rules/", {}).status_code == 302
    assert not NotificationRule.objects.exists()


@pytest.mark.parametrize(
    ("rows", "field", "message"),
    [
        (
            {"method_0": "{own}", "after_0": "3", "method_1": "{own}", "after_1": "3"},
            "after_1",
            "already reached at this minute",
        ),
        ({"after_0": "3"}, "method_0", "Pick a method for these minutes"),
        ({"method_0": "{own}", "after_0": "241"}, "after_0", "less than or equal to 240"),
        ({"method_0": "{own}", "after_0": "-1"}, "after_0", "greater than or equal to 0"),
        ({"method_0": "{own}", "after_0": "soon"}, "after_0", "Enter a whole number."),
        ({"method_0": "{theirs}"}, "method_0", "Select a valid choice."),
    ],
)
def test_a_wrong_rule_is_a_field_error_and_saves_nothing(world, rows, field, message):
    own = email_method(world.staff_a, verified=True)
    theirs = email_method(world.staff_b, "bravo@example.test", verified=True)
    NotificationRule.objects.create(user=world.staff_a, method=own, after_minutes=1)
    data = {k: v.format(own=own.pk, theirs=theirs.pk) for k, v in rows.items()}
    response = portal(world, world.staff_a).post(f"{PAGE}rules/", data)
    assert response.status_code == 400
    errors = response.context["rules_form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert list(NotificationRule.objects.values_list("method", "after_minutes")) == [(own.pk, 1)]


def test_the_rules_editor_offers_only_the_persons_own_methods(world):
    email_method(world.staff_a, "mine@example.test")
    email_method(world.staff_b, "theirs@example.test")
    html = portal(world, world.staff_a).get(PAGE).content.decode()
    assert "mine@example.test (waiting for your confirmation)" in html
    assert "theirs@example.test" not in html


# --- Recent messages ----------------------------------------------------------------------------


def _page_for(world, user, subject: str, n: int = 1) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        notify_person(
            user=user,
            key=f"t:{subject}:{i}",
            topic=NotificationTopic.ALERT,
            subject=subject,
            body="b",
        )


def test_recent_messages_are_the_persons_own_newest_thirty(world):
    _page_for(world, world.staff_a, "Alpha burns", 32)
    _page_for(world, world.staff_b, "Bravo burns secret-7f3a")
    failed = Notification.objects.filter(user=world.staff_a).order_by("-created_at", "-id").first()
    assert failed is not None
    Notification.objects.filter(pk=failed.pk).update(
        status="failed", attempts=3, last_error="SMTPRecipientsRefused: no such user"
    )
    response = portal(world, world.staff_a).get(PAGE)
    html = response.content.decode()
    assert html.count('<tr class="status-') == 30
    assert "secret-7f3a" not in html
    text = text_of(response)
    assert "Failed" in text and "SMTPRecipientsRefused: no such user" in text
    assert "E-mail · account e-mail" in text
    assert re.search(r"\d\d:\d\d UTC \(\+00:00\)", text)


def test_the_page_costs_the_same_queries_however_much_it_lists(world):
    browser = portal(world, world.staff_a)
    email_method(world.staff_a, verified=True)
    browser.get(PAGE)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(PAGE).status_code == 200
        return len(captured)

    few = count()
    for n in range(5):
        method = email_method(world.staff_a, f"n{n}@example.test", verified=n % 2 == 0)
        NotificationRule.objects.create(user=world.staff_a, method=method, after_minutes=n)
        contact_method_test(method=method, acting_user=world.staff_a)
    _page_for(world, world.staff_a, "Alpha burns", 20)
    assert count() == few == PAGE_QUERIES


# The schema, the session, the user, their role; the methods, the rules; the reach plan's
# methods and rules (agency.notifications.reach_plan); the recent messages with their methods.
PAGE_QUERIES = 9


# --- Push on this device ------------------------------------------------------------------------


def test_the_push_button_carries_the_key_and_no_script_is_inline(world):
    html = portal(world, world.staff_a).get(PAGE).content.decode()
    assert f'data-key="{vapid_public_key()}"' in html
    assert 'data-url="/me/notifications/push/"' in html and 'data-worker="/sw.js"' in html
    assert "Enable push on this device" in html
    assert '<script src="/static/agency/push.js" defer></script>' in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html and "<style" not in html


def test_the_service_worker_is_served_for_the_whole_portal(world):
    response = portal(world, None).get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    assert "showNotification" in body and "openWindow" in body and "notificationclick" in body
    assert HttpClient(HTTP_HOST=world.host(world.alpha)).get("/sw.js").status_code in (302, 404)


def test_push_js_posts_the_subscription_and_it_becomes_a_method_with_its_test(world):
    device = push_device("https://push.example.test/send/abc")
    browser = portal(world, world.staff_a, enforce_csrf_checks=True)
    browser.get(PAGE)
    token = browser.cookies["csrftoken"].value
    body = {"subscription": device.subscription, "label": "My phone"}
    assert browser.post(f"{PAGE}push/", body, content_type="application/json").status_code == 403
    response = browser.post(
        f"{PAGE}push/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.content
    method = ContactMethod.objects.get(user=world.staff_a)
    assert (method.kind, method.label, method.target_hint) == (
        "push",
        "My phone",
        "push.example.test",
    )
    assert response.json()["id"] == method.pk
    assert Notification.objects.filter(method=method, topic=NotificationTopic.TEST).count() == 1
    # The same device again: the same method, no second test a moment later
    again = browser.post(
        f"{PAGE}push/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert again.status_code == 200 and again.json()["id"] == method.pk
    assert ContactMethod.objects.count() == 1 and Notification.objects.count() == 1
    page = text_of(browser.get(PAGE))
    assert "Push is on for this device" in page and "push.example.test" in page
    # staff_b has no such method, and cannot reuse staff_a's subscription to reach it
    assert "push.example.test" not in text_of(portal(world, world.staff_b).get(PAGE))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"subscription": "x"}',
        b'{"subscription": {"endpoint": "ftp://x"}}',
        b'{"subscription": {}, "label": 7}',
        b'{"label": "\\u0000"}',
    ],
)
def test_a_bad_subscription_is_a_400_in_words(world, body):
    response = portal(world, world.staff_a).post(
        f"{PAGE}push/", body, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]
    assert not ContactMethod.objects.exists()


# --- Whatever is posted -------------------------------------------------------------------------


def form_bytes(names: list[bytes]):  # type: ignore[no-untyped-def]
    return st.binary(max_size=300) | st.lists(
        st.tuples(st.sampled_from([*names, b"csrfmiddlewaretoken", b"x"]), st.binary(max_size=60)),
        max_size=6,
    ).map(lambda pairs: b"&".join(k + b"=" + v for k, v in pairs))


FORMS = {
    "email/": [b"email-target", b"email-label"],
    "apprise/": [b"apprise-target", b"apprise-label"],
    "rules/": [b"method_0", b"after_0", b"method_1", b"after_1", b"method_9", b"after_9"],
}
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(form=st.sampled_from(sorted(FORMS)), data=st.data())
def test_whatever_a_form_gets_the_answer_is_a_redirect_or_a_field_error(world, form, data):
    body = data.draw(form_bytes(FORMS[form]))
    response = portal(world, world.staff_a).post(
        f"{PAGE}{form}", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (302, 400), (form, body, response.status_code)
    if response.status_code == 400:
        bound = response.context[f"{form[:-1]}_form"]  # email_form, apprise_form, rules_form
        assert bound.errors and not bound.non_field_errors()


@HYPOTHESIS
@given(body=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_whatever_push_gets_the_answer_is_json(world, body):
    response = portal(world, world.staff_a).post(
        f"{PAGE}push/", body, content_type="application/json"
    )
    assert response.status_code in (200, 201, 400)
    assert response.json()


@HYPOTHESIS
@given(
    token=st.text(st.characters(codec="utf-8", exclude_characters="/?#%"), min_size=1, max_size=200)
)
def test_whatever_link_is_opened_the_answer_is_a_page(world, token):
    response = portal(world, None).get(f"{PAGE}verify/{token}/")
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "not valid or has expired" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Je contactmethoden", "Push aanzetten op dit apparaat", "na 5 minuten"]),
        ("sv", ["Dina kontaktvägar", "Slå på push på den här enheten", "efter 5 minuter"]),
    ],
)
def test_the_page_in_dutch_and_swedish(world, language, words):
    method = email_method(world.staff_a, verified=True)
    NotificationRule.objects.create(user=world.staff_a, method=method, after_minutes=5)
    world.staff_a.language = language
    world.staff_a.save(update_fields=["language"])
    try:
        text = text_of(portal(world, world.staff_a).get(PAGE))
    finally:
        world.staff_a.language = "en"
    for word in words:
        assert word in text

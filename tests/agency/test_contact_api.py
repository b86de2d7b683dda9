"""The API of a person's notifications on the agency host (/api/v1/me/...): contact methods
listed without their targets, added, removed and tested; the rules, read and replaced; the
recent messages, a cursor page. For the agency's people; another person's method is a 404 and
their messages are never listed; the lists cost a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agency.models import (
    ContactKind,
    ContactMethod,
    Notification,
    NotificationRule,
    NotificationTopic,
)
from agency.notifications import contact_method_add, contact_method_test, notify_person
from tests.agency.test_transports import push_device
from tests.conftest import api_client

pytestmark = pytest.mark.django_db

METHODS = "/api/v1/me/contact-methods/"
RULES = "/api/v1/me/notification-rules/"
OUTBOX = "/api/v1/me/notifications/"


def api(world, user):  # type: ignore[no-untyped-def]
    return api_client(world, user, None, token=True)


def method_of(user, address: str, *, verified: bool = False) -> ContactMethod:  # type: ignore[no-untyped-def]
    method = contact_method_add(user=user, kind=ContactKind.EMAIL, target=address)
    if verified:
        method.verified_at = timezone.now()
        method.save(update_fields=["verified_at"])
    return method


@pytest.mark.parametrize("who", ["viewer_a", "outsider"])
def test_only_the_agencys_people_may(world, who):
    mine = method_of(world.staff_a, "a@example.test")
    client = api(world, getattr(world, who))
    for method, path, body in (
        ("get", METHODS, None),
        ("post", METHODS, {"kind": "email", "target": "v@example.test"}),
        ("delete", f"{METHODS}{mine.pk}/", None),
        ("post", f"{METHODS}{mine.pk}/test/", None),
        ("get", RULES, None),
        ("put", RULES, []),
        ("get", OUTBOX, None),
    ):
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 403, (path, response.content)
        assert response.json()["error"]["code"] == "permission_denied"
    assert list(ContactMethod.objects.values_list("pk", flat=True)) == [mine.pk]
    assert not Notification.objects.exists()
    assert api_client(world, None, None).get(METHODS).status_code == 401


def test_methods_are_listed_without_their_targets_and_only_ones_own(world):
    contact_method_add(
        user=world.staff_a,
        kind=ContactKind.APPRISE,
        target="tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890",
        label="Telegram",
    )
    method_of(world.staff_a, "a@example.test", verified=True)
    method_of(world.staff_b, "bravo-only@example.test")
    response = api(world, world.staff_a).get(METHODS)
    assert response.status_code == 200
    body = response.json()
    assert [(m["kind"], m["hint"], m["label"], m["verified"]) for m in body] == [
        ("apprise", "tgram://123456789", "Telegram", False),
        ("email", "a@example.test", "", True),
    ]
    assert set(body[0]) == {"id", "kind", "label", "hint", "verified", "verified_at", "created_at"}
    assert b"AAHdqTcv" not in response.content and b"bravo-only" not in response.content


def test_a_person_adds_each_kind_and_a_wrong_one_is_a_field_error(world):
    client = api(world, world.staff_a)
    device = push_device("https://push.example.test/send/xyz")
    for kind, target in (
        ("email", "night@example.test"),
        ("apprise", "ntfy://desk-7f3a"),
        ("push", device.subscription),
    ):
        response = client.post(METHODS, {"kind": kind, "target": target}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["kind"] == kind and response.json()["verified"] is False
    assert ContactMethod.objects.filter(user=world.staff_a).count() == 3
    for body, field in (
        ({"kind": "email", "target": "nope"}, "target"),
        ({"kind": "apprise", "target": "msteams://x/y/z"}, "target"),
        ({"kind": "push", "target": {"endpoint": "https://x.test/"}}, "target"),
        ({"kind": "pager", "target": "x"}, "kind"),
        ({"kind": "email"}, "target"),
        ({"kind": "email", "target": "a@example.test", "label": "x" * 101}, "label"),
        ({"kind": "email", "target": "a@example.test", "to": "me"}, "to"),
    ):
        response = client.post(METHODS, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert list(response.json()["error"]["fields"]) == [field], response.json()
    # Text that cannot be stored (a lone surrogate) is refused as it is read.
    unstorable = b'{"kind": "email", "target": "\\ud800@example.test"}'
    response = client.post(METHODS, unstorable, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"
    assert ContactMethod.objects.filter(user=world.staff_a).count() == 3
    assert not ContactMethod.objects.exclude(user=world.staff_a).exists()


def test_a_person_removes_their_method_but_not_anothers(world):
    mine = method_of(world.staff_a, "a@example.test")
    theirs = method_of(world.staff_b, "b@example.test")
    client = api(world, world.staff_a)
    assert client.delete(f"{METHODS}{theirs.pk}/").status_code == 404
    assert client.delete(f"{METHODS}{mine.pk}/").status_code == 204
    assert client.delete(f"{METHODS}{mine.pk}/").status_code == 404
    assert list(ContactMethod.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_a_test_message_goes_out_once_a_minute_and_never_to_anothers_method(world):
    mine = method_of(world.staff_a, "a@example.test")
    theirs = method_of(world.staff_b, "b@example.test")
    client = api(world, world.staff_a)
    response = client.post(f"{METHODS}{mine.pk}/test/")
    assert response.status_code == 202, response.content
    body = response.json()
    row = Notification.objects.get(pk=body["id"])
    assert (row.method, row.topic, row.user) == (mine, NotificationTopic.TEST, world.staff_a)
    assert body["status"] == "pending" and "link" not in body  # the link only in the message
    again = client.post(f"{METHODS}{mine.pk}/test/")
    assert again.status_code == 429 and 0 < int(again["Retry-After"]) <= 60
    assert client.post(f"{METHODS}{theirs.pk}/test/").status_code == 404
    assert client.post(f"{METHODS}999999/test/").status_code == 404
    assert Notification.objects.count() == 1


def test_five_tests_an_hour_at_most(world):
    mine = method_of(world.staff_a, "a@example.test")
    for minutes in (50, 40, 30, 20, 10):
        row = contact_method_test(method=mine, acting_user=world.staff_a)
        Notification.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes)
        )
    refused = api(world, world.staff_a).post(f"{METHODS}{mine.pk}/test/")
    assert refused.status_code == 429
    assert 9 * 60 < int(refused["Retry-After"]) <= 10 * 60  # when the oldest is an hour old


def test_rules_are_read_and_replaced_with_ones_own_methods_only(world):
    first = method_of(world.staff_a, "a@example.test", verified=True)
    second = method_of(world.staff_a, "b@example.test", verified=True)
    theirs = method_of(world.staff_b, "c@example.test", verified=True)
    client = api(world, world.staff_a)
    assert client.get(RULES).json() == []
    rules = [{"method": second.pk, "after_minutes": 5}, {"method": first.pk, "after_minutes": 0}]
    response = client.put(RULES, rules, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == [rules[1], rules[0]]
    assert client.get(RULES).json() == [rules[1], rules[0]]
    for body, field in (
        ([{"method": theirs.pk, "after_minutes": 0}], "rules"),
        ([{"method": first.pk, "after_minutes": 241}], "after_minutes"),
        (
            [{"method": first.pk, "after_minutes": 1}, {"method": first.pk, "after_minutes": 1}],
            "rules",
        ),
        ({"method": first.pk, "after_minutes": 1}, "non_field_errors"),
        ([{"method": first.pk, "after_minutes": 1, "when": "now"}], "when"),
        ([{"method": 10**30, "after_minutes": 1}], "method"),
    ):
        refused = client.put(RULES, body, format="json")
        assert refused.status_code == 400, (body, refused.content)
        fields = refused.json()["error"]["fields"]
        assert field in str(fields), (body, fields)
    assert client.get(RULES).json() == [rules[1], rules[0]]
    assert not NotificationRule.objects.filter(user=world.staff_b).exists()
    assert api(world, world.staff_b).get(RULES).json() == []
    assert client.put(RULES, [], format="json").json() == []


def test_recent_messages_are_ones_own_newest_first_as_a_cursor_page(world):
    for n in range(35):
        notify_person(
            user=world.staff_a,
            key=f"api:{n}",
            topic=NotificationTopic.ALERT,
            subject=f"Alpha {n}",
            body="b",
            link="http://alpha.agency.localhost/alerts/1/",
            at=timezone.now() - timedelta(minutes=35 - n),
        )
    notify_person(
        user=world.staff_b,
        key="api:b",
        topic=NotificationTopic.ALERT,
        subject="bravo-7f3a",
        body="b",
    )
    client = api(world, world.staff_a)
    page = client.get(OUTBOX).json()
    assert [r["subject"] for r in page["results"]] == [f"Alpha {n}" for n in range(34, 4, -1)]
    first = page["results"][0]
    assert first["kind"] == "email" and first["method"] is None and first["status"] == "pending"
    assert "link" not in first and "body" not in first
    rest = client.get(page["next"]).json()
    assert [r["subject"] for r in rest["results"]] == [f"Alpha {n}" for n in range(4, -1, -1)]
    assert b"bravo-7f3a" not in client.get(OUTBOX).content
    assert [r["subject"] for r in api(world, world.staff_b).get(OUTBOX).json()["results"]] == [
        "bravo-7f3a"
    ]


@pytest.mark.parametrize("path", [METHODS, RULES, OUTBOX])
def test_the_lists_cost_the_same_queries_however_long(world, path):
    client = api(world, world.staff_a)
    method_of(world.staff_a, "a@example.test", verified=True)
    client.get(path)  # warm

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    few = count()
    for n in range(4):
        method = method_of(world.staff_a, f"n{n}@example.test", verified=True)
        NotificationRule.objects.create(user=world.staff_a, method=method, after_minutes=n)
        contact_method_test(method=method, acting_user=world.staff_a)
    assert count() == few == API_QUERIES


# The schema, the token with its user, their role; the list.
API_QUERIES = 4

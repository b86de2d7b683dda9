"""An incident's replies and own posts on the API: the list (each field, the approval and tone
of each draft, pinned queries), drafting, editing, discarding, approving, sending through the
platform (a local stand-in serving the recorded answers of tests/playbooks/recorded) and
recording a reply made elsewhere; every endpoint by role (staff, account manager, client
viewer, outsider, another brand's staff); reply once as a 409 with the article's reason; the
platform's refusals as 4xx in its words (424, 429 with Retry-After, 409), never a 5xx; another
brand's incidents and responses not found; any JSON body answered without a server error."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request
from werkzeug import Response as WerkzeugResponse

from agency.models import AuditEvent
from clients import tenancy
from monitoring.models import Mention
from playbooks.models import Incident, Response
from playbooks.sending import response_approval_require, response_draft
from playbooks.services import response_record
from tests.conftest import api_client
from tests.playbooks.test_sending import (
    IN_5_MIN,
    TEXT,
    api,  # noqa: F401  (the platforms' stand-in, a fixture)
    brand_incident,
    recorded,
)

pytestmark = pytest.mark.django_db

TWEETS = "/2/tweets"
FIELDS = {
    "id",
    "incident",
    "kind",
    "platform",
    "mention",
    "text",
    "status",
    "url",
    "created_by",
    "created_at",
    "sent_at",
    "override_reason",
    "approval_needed",
    "approval_given",
    "approved_by",
    "tone",
}


def a_draft(world: Any, incident: Incident, mention: Mention | None, **extra: Any) -> Response:
    """A draft by alpha's staff (a reply to `mention`, else an own post on X)."""
    with tenancy.tenant_context(world.alpha):
        response = response_draft(
            client=world.alpha,
            incident=incident,
            kind="reply" if mention is not None else "post",
            platform="x",
            text=extra.pop("text", TEXT),
            mention=mention,
            acting_user=extra.pop("user", world.staff_a),
        )
    tenancy.reset_to_public()
    return response


def row(client: Any, pk: int) -> Response | None:
    with tenancy.tenant_context(client):
        found = Response.objects.filter(pk=pk).first()
    tenancy.reset_to_public()
    return found


def x_accepts(stand_in: HTTPServer) -> None:
    stand_in.expect_oneshot_request(TWEETS, method="POST").respond_with_response(
        recorded("x-created.json")
    )


def approval_required(world: Any, required: bool = True) -> None:
    with tenancy.tenant_context(world.alpha):
        response_approval_require(client=world.alpha, required=required, acting_user=world.manager)
    tenancy.reset_to_public()


# --- Every endpoint by role ----------------------------------------------------------------

# What each role gets: reads, the agency's writes, and approving.
MATRIX = {
    "staff_a": (200, True, False),
    "manager": (200, True, True),
    "admin": (200, True, True),
    "viewer_a": (200, False, True),
    "staff_b": (403, False, False),
    "outsider": (403, False, False),
}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_every_endpoint_answers_each_role_as_it_may(world, api, role):  # noqa: F811
    reads, writes, approves = MATRIX[role]
    incident, mention = brand_incident(world.alpha, "x")
    draft = a_draft(world, incident, mention)
    spare = a_draft(world, incident, None, text="Our statement on the delays: we are on it.")
    http = api_client(world, getattr(world, role), world.alpha)
    base = f"/api/v1/incidents/{incident.pk}/responses/"
    refused = 403 if reads == 403 else (403 if not writes else None)

    listed = http.get(base)
    assert listed.status_code == reads
    one = http.get(f"/api/v1/responses/{draft.pk}/")
    assert one.status_code == reads
    if reads == 200:
        assert {r["id"] for r in listed.json()["results"]} == {draft.pk, spare.pk}
        assert set(one.json()) == FIELDS and one.json()["status"] == "draft"

    made = http.post(base, {"kind": "post", "platform": "x", "text": "We hear you."}, format="json")
    assert made.status_code == (refused or 201), made.content
    edited = http.patch(f"/api/v1/responses/{draft.pk}/", {"text": TEXT + " (2)"}, format="json")
    assert edited.status_code == (refused or 200)
    approved = http.post(f"/api/v1/responses/{draft.pk}/approve/", {}, format="json")
    assert approved.status_code == (200 if approves else 403), approved.content
    if writes:
        x_accepts(api)
    sent = http.post(f"/api/v1/responses/{draft.pk}/send/", {}, format="json")
    assert sent.status_code == (refused or 200), sent.content
    thrown = http.delete(f"/api/v1/responses/{spare.pk}/")
    assert thrown.status_code == (refused or 204)
    record = http.post(
        f"{base}record/",
        {
            "kind": "post",
            "platform": "facebook",
            "text": "Posted from the Page's own app.",
            "url": "https://www.facebook.com/112233445566778_1",
        },
        format="json",
    )
    assert record.status_code == (refused or 201), record.content

    api.check_assertions()
    with tenancy.tenant_context(world.alpha):
        statuses = sorted(Response.objects.values_list("status", flat=True))
    tenancy.reset_to_public()
    if writes:
        assert statuses == ["draft", "recorded", "sent"]
        assert sent.json()["url"].startswith("https://x.com/alphabakery/status/")
        assert made.json()["created_by"] == getattr(world, role).email
    else:
        assert statuses == ["draft", "draft"] and not api.log
        assert row(world.alpha, draft.pk).text == TEXT  # type: ignore[union-attr]
        if reads == 200:
            assert made.json()["error"]["message"] == "Your access to this brand is read-only."
    if approves:
        assert approved.json()["approved_by"] == getattr(world, role).email
    with tenancy.tenant_context(world.bravo):
        assert not Response.objects.exists()


# --- The list ------------------------------------------------------------------------------


def test_the_list_says_everything_of_each_response_in_fixed_queries(world, api):  # noqa: F811
    incident, mention = brand_incident(world.alpha, "x")
    approval_required(world)
    draft = a_draft(world, incident, mention, text="CALM DOWN, that's not true!!")
    with tenancy.tenant_context(world.alpha):
        recorded_post = response_record(
            client=world.alpha,
            acting_user=world.manager,
            kind="post",
            platform="facebook",
            text="Our statement: https://alpha.test/qa/k3",
            url="https://www.facebook.com/112233445566778_9",
            incident=incident,
        )
    tenancy.reset_to_public()
    http = api_client(world, world.viewer_a, world.alpha)
    url = f"/api/v1/incidents/{incident.pk}/responses/"
    body = http.get(url).json()
    assert (body["next"], body["previous"]) == (None, None)
    newest, oldest = body["results"]
    assert (newest["id"], oldest["id"]) == (recorded_post.pk, draft.pk)
    assert {k: newest[k] for k in ("kind", "platform", "status", "mention", "url", "tone")} == {
        "kind": "post",
        "platform": "facebook",
        "status": "recorded",
        "mention": None,
        "url": "https://www.facebook.com/112233445566778_9",
        "tone": [],  # it is out: nothing to check any more
    }
    assert newest["sent_at"] and newest["created_by"] == world.manager.email
    assert (oldest["kind"], oldest["mention"], oldest["incident"]) == (
        "reply",
        mention.pk,
        incident.pk,
    )
    assert (oldest["approval_needed"], oldest["approval_given"], oldest["approved_by"]) == (
        True,
        False,
        None,
    )
    codes = {finding["code"] for finding in oldest["tone"]}
    assert {"confrontational", "exclamations"} <= codes, codes
    assert all(
        set(f) == {"code", "severity", "label", "reason", "suggestion", "excerpt", "span"}
        for f in oldest["tone"]
    )

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert http.get(url).status_code == 200
        return len(captured)

    before = count()
    for n in range(4):
        a_draft(world, incident, None, text=f"Update {n}: we are on it.")
    with tenancy.tenant_context(world.alpha):
        from playbooks.sending import response_approve

        response_approve(client=world.alpha, response=draft, acting_user=world.manager)
    tenancy.reset_to_public()
    assert count() == before == LIST_QUERIES
    approved = http.get(f"/api/v1/responses/{draft.pk}/").json()
    assert (approved["approval_given"], approved["approved_by"]) == (True, world.manager.email)


# the brand's schema, the token or session, the user, their access; the incident, its page of
# responses, the approval policy, the approvals, the incident's Q&A link (for the tone check)
LIST_QUERIES = 9


def test_another_brands_incidents_and_responses_are_not_found(world, api):  # noqa: F811
    bravo_incident, bravo_mention = brand_incident(world.bravo, "x")
    with tenancy.tenant_context(world.bravo):
        bravo_reply = response_draft(
            client=world.bravo,
            incident=bravo_incident,
            kind="reply",
            platform="x",
            text="Vi beklagar.",
            mention=bravo_mention,
            acting_user=world.staff_b,
        )
    ours, our_mention = brand_incident(world.alpha, "x")
    mine = a_draft(world, ours, our_mention)
    with tenancy.tenant_context(world.alpha):
        # Ids are per schema: make sure bravo's name nothing of alpha's.
        Incident.objects.filter(pk=bravo_incident.pk).exclude(pk=ours.pk).delete()
        Response.objects.filter(pk=bravo_reply.pk).exclude(pk=mine.pk).delete()
        clash = ours.pk == bravo_incident.pk or mine.pk == bravo_reply.pk
    tenancy.reset_to_public()
    if clash:
        pytest.skip("alpha's ids happen to equal bravo's")
    http = api_client(world, world.manager, world.alpha)
    listed = http.get(f"/api/v1/incidents/{ours.pk}/responses/").json()["results"]
    assert [r["id"] for r in listed] == [mine.pk]
    base = f"/api/v1/incidents/{bravo_incident.pk}/responses/"
    answers = [
        http.get(base),
        http.post(base, {"kind": "post", "platform": "x", "text": "Hi"}, format="json"),
        http.post(
            f"{base}record/",
            {"kind": "post", "platform": "x", "text": "Hi", "url": "https://x.com/a/status/1"},
            format="json",
        ),
        http.get(f"/api/v1/responses/{bravo_reply.pk}/"),
        http.patch(f"/api/v1/responses/{bravo_reply.pk}/", {"text": "Hi"}, format="json"),
        http.delete(f"/api/v1/responses/{bravo_reply.pk}/"),
        http.post(f"/api/v1/responses/{bravo_reply.pk}/send/", {}, format="json"),
        http.post(f"/api/v1/responses/{bravo_reply.pk}/approve/", {}, format="json"),
        # Alpha's incident, bravo's message: not in this wave.
        http.post(
            f"/api/v1/incidents/{ours.pk}/responses/",
            {"kind": "reply", "platform": "x", "text": "Hi", "mention": bravo_mention.pk + 1000},
            format="json",
        ),
    ]
    assert [a.status_code for a in answers] == [404] * 8 + [400]
    assert answers[-1].json()["error"]["fields"] == {
        "mention": ["No such message in this incident's wave."]
    }
    assert not api.log
    with tenancy.tenant_context(world.bravo):
        assert Response.objects.get(pk=bravo_reply.pk).text == "Vi beklagar."
    # Bravo's host refuses alpha's staff altogether.
    bravo_host = api_client(world, world.staff_a, world.bravo)
    assert bravo_host.get(base).status_code == 403


# --- Reply once ----------------------------------------------------------------------------


def test_a_second_reply_in_the_thread_is_a_409_with_the_articles_reason(world, api):  # noqa: F811
    incident, mention = brand_incident(world.alpha, "x")
    staff = api_client(world, world.staff_a, world.alpha)
    base = f"/api/v1/incidents/{incident.pk}/responses/"
    first = staff.post(
        base, {"kind": "reply", "platform": "x", "text": TEXT, "mention": mention.pk}, format="json"
    ).json()
    x_accepts(api)
    assert staff.post(f"/api/v1/responses/{first['id']}/send/").json()["status"] == "sent"
    second = staff.post(
        base,
        {"kind": "reply", "platform": "x", "text": "And another thing.", "mention": mention.pk},
        format="json",
    ).json()
    refused = staff.post(f"/api/v1/responses/{second['id']}/send/", {}, format="json")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "reply_once"
    assert error["message"].startswith("Reply once: the brand answered in this thread already at")
    assert "A second answer is a discussion, and you don't want one." in error["message"]
    recorded_too = staff.post(
        f"{base}record/",
        {
            "kind": "reply",
            "platform": "x",
            "text": "From the phone app.",
            "url": "https://x.com/alphabakery/status/2",
            "mention": mention.pk,
        },
        format="json",
    )
    assert recorded_too.status_code == 409 and recorded_too.json()["error"]["code"] == "reply_once"
    # Staff who are not the lead may not allow it; the manager may, with the reason logged.
    not_lead = staff.post(
        f"/api/v1/responses/{second['id']}/send/", {"override_reason": "new facts"}, format="json"
    )
    assert not_lead.status_code == 403
    assert (
        not_lead.json()["error"]["message"] == "Only the incident's lead may allow a second reply."
    )
    x_accepts(api)
    manager = api_client(world, world.manager, world.alpha)
    allowed = manager.post(
        f"/api/v1/responses/{second['id']}/send/",
        {"override_reason": "The recall is official now"},
        format="json",
    ).json()
    assert (allowed["status"], allowed["override_reason"]) == ("sent", "The recall is official now")
    # Sent already: the same answer again, and no request.
    again = staff.post(f"/api/v1/responses/{second['id']}/send/")
    assert again.status_code == 200 and again.json()["status"] == "sent"
    assert len(api.log) == 2
    # What went out stays: not editable, not thrown away, not approved again.
    for answer in (
        staff.patch(f"/api/v1/responses/{first['id']}/", {"text": "x"}, format="json"),
        staff.delete(f"/api/v1/responses/{first['id']}/"),
        manager.post(f"/api/v1/responses/{first['id']}/approve/"),
    ):
        assert answer.status_code == 409 and answer.json()["error"]["code"] == "invalid_incident"
    assert row(world.alpha, first["id"]).text == TEXT  # type: ignore[union-attr]
    api.check_assertions()


# --- Approval of crisis replies ------------------------------------------------------------


def test_a_crisis_reply_waits_for_the_managers_or_the_clients_approval(world, api):  # noqa: F811
    incident, mention = brand_incident(world.alpha, "x")  # a crisis
    manager = api_client(world, world.manager, world.alpha)
    set_policy = manager.patch(
        "/api/v1/response-settings/", {"approval_required": True}, format="json"
    )
    assert set_policy.json()["approval_required"] is True
    staff = api_client(world, world.staff_a, world.alpha)
    viewer = api_client(world, world.viewer_a, world.alpha)
    draft = staff.post(
        f"/api/v1/incidents/{incident.pk}/responses/",
        {"kind": "reply", "platform": "x", "text": TEXT, "mention": mention.pk},
        format="json",
    ).json()
    assert (draft["approval_needed"], draft["approval_given"]) == (True, False)
    url = f"/api/v1/responses/{draft['id']}/"
    waits = staff.post(f"{url}send/")
    assert waits.status_code == 403
    assert (
        "needs the approval of the brand's account manager or the client"
        in (waits.json()["error"]["message"])
    )
    assert staff.post(f"{url}approve/").status_code == 403  # staff do not approve
    bravo_viewer = api_client(world, world.viewer_b, world.alpha)
    assert bravo_viewer.post(f"{url}approve/").status_code == 403
    assert viewer.post(f"{url}send/").status_code == 403  # a client approves, never sends
    approved = viewer.post(f"{url}approve/").json()
    assert (approved["approval_given"], approved["approved_by"]) == (True, world.viewer_a.email)
    # An edit asks for a new approval.
    edited = staff.patch(url, {"text": TEXT + " We'll update you."}, format="json").json()
    assert (edited["approval_given"], edited["approved_by"]) == (False, None)
    assert staff.post(f"{url}send/").status_code == 403
    assert not api.log
    assert manager.post(f"{url}approve/").json()["approved_by"] == world.manager.email
    x_accepts(api)
    sent = staff.post(f"{url}send/").json()
    assert (sent["status"], sent["approval_given"]) == ("sent", True)
    api.check_assertions()
    with tenancy.tenant_context(world.alpha):
        notes = list(incident.events.filter(kind="response").values_list("actor", "note"))
    tenancy.reset_to_public()
    assert [actor for actor, _ in notes] == [
        world.viewer_a.email,
        world.manager.email,
        world.staff_a.email,
    ]
    assert AuditEvent.objects.filter(verb="response.approved", client_slug="alpha").count() == 2


def test_without_the_brands_wish_a_crisis_reply_goes_out_at_once(world, api):  # noqa: F811
    incident, mention = brand_incident(world.alpha, "x")
    with tenancy.tenant_context(world.bravo):  # another brand's wish
        response_approval_require(client=world.bravo, required=True, acting_user=world.manager)
    tenancy.reset_to_public()
    draft = a_draft(world, incident, mention)
    staff = api_client(world, world.staff_a, world.alpha)
    assert staff.get(f"/api/v1/responses/{draft.pk}/").json()["approval_needed"] is False
    x_accepts(api)
    assert staff.post(f"/api/v1/responses/{draft.pk}/send/").json()["status"] == "sent"


# --- The platform's refusals -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "code", "words"),
    [
        ("x-rate-limited.json", 429, "platform_rate_limited", "X rate limit reached"),
        ("x-unauthorized.json", 424, "platform_refused", "X refused the token: Unauthorized"),
        ("x-unavailable.json", 424, "platform_unavailable", "X is having trouble (503)"),
    ],
)
def test_the_platforms_refusal_is_a_4xx_in_its_words(world, api, answer, status, code, words):  # noqa: F811
    incident, mention = brand_incident(world.alpha, "x")
    draft = a_draft(world, incident, mention)
    values = {k: make() for k, make in IN_5_MIN.items()}
    api.expect_oneshot_request(TWEETS, method="POST").respond_with_response(
        recorded(answer, **values)
    )
    staff = api_client(world, world.staff_a, world.alpha)
    refused = staff.post(f"/api/v1/responses/{draft.pk}/send/")
    assert refused.status_code == status, refused.content
    error = refused.json()["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"].startswith(words)
    if status == 429:
        assert 100 <= int(refused["Retry-After"]) <= 130
    # The slot is free again: the draft, failed, may be sent once the platform takes it.
    assert staff.get(f"/api/v1/responses/{draft.pk}/").json()["status"] == "failed"
    x_accepts(api)
    assert staff.post(f"/api/v1/responses/{draft.pk}/send/").json()["status"] == "sent"
    api.check_assertions()


def test_an_unconfirmed_send_is_a_424_and_holds_the_thread(world, api, monkeypatch):  # noqa: F811
    import httpx

    from monitoring.connectors import base

    monkeypatch.setattr(base, "TIMEOUT", httpx.Timeout(0.2, connect=2.0))
    incident, mention = brand_incident(world.alpha, "x")
    draft = a_draft(world, incident, mention)

    reached: list[str] = []

    def slow(request: Request) -> WerkzeugResponse:
        reached.append(request.path)
        time.sleep(0.5)
        return recorded("x-created.json")

    api.expect_oneshot_request(TWEETS, method="POST").respond_with_handler(slow)
    staff = api_client(world, world.staff_a, world.alpha)
    unknown = staff.post(f"/api/v1/responses/{draft.pk}/send/")
    assert unknown.status_code == 424
    assert unknown.json()["error"]["code"] == "platform_unconfirmed"
    assert "did not confirm" in unknown.json()["error"]["message"]
    being = staff.post(f"/api/v1/responses/{draft.pk}/send/")
    assert being.status_code == 409 and being.json()["error"]["code"] == "being_sent"
    other = a_draft(world, incident, mention, user=world.manager)
    held = api_client(world, world.manager, world.alpha).post(f"/api/v1/responses/{other.pk}/send/")
    assert held.status_code == 409 and held.json()["error"]["code"] == "reply_once"
    assert reached == [TWEETS]  # the one request, unanswered in time
    # Let the stand-in answer it before the next test (its log is shared between tests).
    waited = time.monotonic() + 5
    while not api.log and time.monotonic() < waited:
        time.sleep(0.05)
    assert len(api.log) == 1


def test_no_source_that_may_send_is_a_400_that_says_what_to_set(world, api):  # noqa: F811
    incident, mention = brand_incident(world.alpha, "x")
    with tenancy.tenant_context(world.alpha):
        from monitoring.models import Source

        Source.objects.update(is_active=False)
    tenancy.reset_to_public()
    draft = a_draft(world, incident, mention)
    answer = api_client(world, world.staff_a, world.alpha).post(
        f"/api/v1/responses/{draft.pk}/send/"
    )
    assert answer.status_code == 400
    assert "platform" in answer.json()["error"]["fields"]
    assert not api.log


# --- Bodies --------------------------------------------------------------------------------


def test_bodies_are_checked_by_field(world, api):  # noqa: F811
    incident, mention = brand_incident(world.alpha, "x")
    staff = api_client(world, world.staff_a, world.alpha)
    base = f"/api/v1/incidents/{incident.pk}/responses/"
    draft = a_draft(world, incident, mention)
    cases = [
        (base, {"kind": "answer", "platform": "x", "text": "Hi"}, "kind"),
        (base, {"kind": "post", "platform": "myspace", "text": "Hi"}, "platform"),
        (base, {"kind": "post", "platform": "x", "text": "   "}, "text"),
        (base, {"kind": "post", "platform": "x", "text": "x" * 10_001}, "text"),
        (base, {"kind": "reply", "platform": "x", "text": "Hi"}, "mention"),
        (
            base,
            {"kind": "reply", "platform": "facebook", "text": "Hi", "mention": mention.pk},
            "platform",
        ),
        (base, {"kind": "post", "platform": "x", "text": "Hi", "mention": "one"}, "mention"),
        (base, {"kind": "post", "platform": "x", "text": "Hi", "status": "sent"}, "status"),
        (f"{base}record/", {"kind": "post", "platform": "x", "text": "Hi"}, "url"),
        (
            f"{base}record/",
            {"kind": "post", "platform": "x", "text": "Hi", "url": "javascript:alert(1)"},
            "url",
        ),
        (f"/api/v1/responses/{draft.pk}/send/", {"override_reason": "x" * 501}, "override_reason"),
        (f"/api/v1/responses/{draft.pk}/send/", {"now": True}, "now"),
        (f"/api/v1/responses/{draft.pk}/approve/", {"text": "other"}, "text"),
    ]
    for path, body, field in cases:
        answer = staff.post(path, body, format="json")
        assert answer.status_code == 400, (path, body, answer.content)
        assert field in answer.json()["error"]["fields"], (body, answer.json())
    patched = staff.patch(f"/api/v1/responses/{draft.pk}/", {"text": ""}, format="json")
    assert patched.status_code == 400 and "text" in patched.json()["error"]["fields"]
    unchanged = staff.patch(f"/api/v1/responses/{draft.pk}/", {}, format="json")
    assert unchanged.status_code == 200 and unchanged.json()["text"] == TEXT
    with tenancy.tenant_context(world.alpha):
        assert Response.objects.count() == 1
    tenancy.reset_to_public()
    assert not api.log


def test_the_text_changes_and_a_draft_is_thrown_away(world, api):  # noqa: F811
    incident, mention = brand_incident(world.alpha, "x")
    draft = a_draft(world, incident, mention)
    staff = api_client(world, world.staff_a, world.alpha)
    url = f"/api/v1/responses/{draft.pk}/"
    body = staff.patch(url, {"text": "  We're sorry. We are on it.  "}, format="json").json()
    assert body["text"] == "We're sorry. We are on it."
    assert staff.delete(url).status_code == 204
    assert row(world.alpha, draft.pk) is None
    assert staff.get(url).status_code == 404
    assert staff.delete(url).status_code == 404
    verbs = AuditEvent.objects.filter(client_slug="alpha", verb__startswith="response.")
    assert list(verbs.order_by("id").values_list("verb", flat=True)) == [
        "response.drafted",
        "response.edited",
        "response.discarded",
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
FIELD_NAMES = ["kind", "platform", "text", "mention", "url", "override_reason", "status"]
BODIES = st.one_of(
    JSON,
    st.dictionaries(
        st.sampled_from(FIELD_NAMES),
        st.one_of(
            st.sampled_from(["reply", "post", "x", "facebook", "instagram", "", "https://x.com/a"]),
            st.integers(min_value=-2, max_value=10**12),
            JSON,
        ),
        max_size=7,
    ),
)


@given(body=BODIES, which=st.integers(min_value=0, max_value=4))
@settings(
    deadline=None,
    database=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_whatever_json_arrives_the_answer_is_4xx_or_2xx_and_the_incident_still_reads(
    world,
    api,  # noqa: F811
    body,
    which,
):
    # Anything that reaches the stand-in is refused by it (an unexpected request: a 500).
    incident, mention = _the_incident(world)
    draft = a_draft(world, incident, mention if which % 2 else None, text="We hear you.")
    staff = api_client(world, world.staff_a, world.alpha)
    base = f"/api/v1/incidents/{incident.pk}/responses/"
    path, method = [
        (base, "POST"),
        (f"{base}record/", "POST"),
        (f"/api/v1/responses/{draft.pk}/", "PATCH"),
        (f"/api/v1/responses/{draft.pk}/send/", "POST"),
        (f"/api/v1/responses/{draft.pk}/approve/", "POST"),
    ][which]
    answer = staff.generic(method, path, json.dumps(body), content_type="application/json")
    assert 200 <= answer.status_code < 500, (path, body, answer.status_code, answer.content)
    assert answer.status_code in (200, 201, 400, 403, 404, 409, 424, 429), answer.status_code
    assert answer.json()
    listed = staff.get(base)
    assert listed.status_code == 200
    assert staff.get(f"/api/v1/incidents/{incident.pk}/").status_code == 200
    for item in listed.json()["results"]:
        assert item["status"] in ("draft", "failed", "sent", "recorded", "sending")


def _the_incident(world: Any) -> tuple[Incident, Mention]:
    """One incident for all the examples of a run (its test's transaction holds them all)."""
    with tenancy.tenant_context(world.alpha):
        found = Incident.objects.select_related("alert").first()
        mention = Mention.objects.first()
    tenancy.reset_to_public()
    if found is None or mention is None:
        return brand_incident(world.alpha, "x")
    return found, mention

"""The answer desk of an incident (brand host): the wave's messages with the origin platform
first, a reply drafted with its tone findings and the Q&A link added, approved where the brand
asks for it (the client may approve), sent through the platform's API (a local stand-in with
recorded answers), the clock stopped, a second reply in the thread refused unless the lead
allows it, a reply made elsewhere recorded; read-only for a client viewer, out of reach for
another brand."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients import tenancy
from monitoring.models import Mention
from playbooks.models import Incident, IncidentEvent, Response
from playbooks.qa import qa_draft_save, qa_link_for_incident, qa_page_for, qa_publish
from playbooks.sending import response_approval_require, with_qa_link
from tests.playbooks.test_sending import REPLIES, api, brand_incident, recorded  # noqa: F401

pytestmark = pytest.mark.django_db


def page(world: Any, user: Any, client: Any) -> HttpClient:
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def instagram(world: Any) -> tuple[Incident, Mention]:
    incident, mention = brand_incident(world.alpha, "instagram")
    tenancy.reset_to_public()
    return incident, mention


def expect_reply(api: Any) -> None:  # noqa: F811
    path, answer, _permalink = REPLIES["instagram"]
    api.expect_oneshot_request(path, method="POST").respond_with_response(recorded(answer))


def publish_qa(world: Any, incident: Incident) -> str:
    with tenancy.tenant_context(world.alpha):
        version = qa_draft_save(
            client=world.alpha,
            page=qa_page_for(client=world.alpha, incident=incident),
            language="en",
            title="What happened at Alpha",
            intro="We are looking into it.",
            entries=[{"q": "Is it safe?", "a": "Yes, the batch is withdrawn."}],
            acting_user=world.staff_a,
        )
        qa_publish(client=world.alpha, version=version, acting_user=world.staff_a)
        link = qa_link_for_incident(client=world.alpha, incident=incident)
    tenancy.reset_to_public()
    assert link
    return link


def the_draft(world: Any) -> Response:
    with tenancy.tenant_context(world.alpha):
        found = Response.objects.get()
    tenancy.reset_to_public()
    return found


def test_the_q_and_a_link_goes_on_a_line_of_its_own_once():
    link = "https://alpha.agency.localhost/qa/k3/"
    assert with_qa_link("We're on it.", link) == f"We're on it.\n\n{link}"
    assert with_qa_link(f"See {link} please", link) == f"See {link} please"
    assert with_qa_link("See HTTPS://ALPHA.agency.localhost/qa/k3 now", link).count("qa/k3") == 1
    assert with_qa_link("  We're on it. ", None) == "We're on it."
    assert with_qa_link("", link) == link


def test_the_origin_platform_first_and_a_reply_sent_from_the_desk(world, api):  # noqa: F811
    incident, mention = instagram(world)
    link = publish_qa(world, incident)
    browser = page(world, world.staff_a, world.alpha)
    incident_html = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert f'href="/incidents/{incident.pk}/answer/"' in incident_html
    assert "0 answers out" in incident_html and link in incident_html
    html = browser.get(f"/incidents/{incident.pk}/answer/").content.decode()
    assert "Answer first on <strong>Instagram</strong>" in html
    assert f'href="?reply={mention.pk}#compose"' in html
    # The editor for a reply to that message starts with the Q&A link.
    html = browser.get(f"/incidents/{incident.pk}/answer/?reply={mention.pk}").content.decode()
    assert "Reply on Instagram" in html and "Disgusting service, never again!" in html
    assert f">{link}</textarea>" in html
    response = browser.post(
        f"/incidents/{incident.pk}/answer/draft/",
        {"mention": mention.pk, "text": "Calm down, that's not true!!"},
    )
    assert response.status_code == 302
    draft = the_draft(world)
    assert draft.text == f"Calm down, that's not true!!\n\n{link}"  # the link added
    assert (draft.kind, draft.platform, draft.status) == ("reply", "instagram", "draft")
    html = browser.get(f"/incidents/{incident.pk}/answer/").content.decode()
    # The tone findings of the draft, and its buttons.
    assert "Contradicts or lectures the reader" in html
    assert f'action="/incidents/{incident.pk}/answer/{draft.pk}/send/"' in html
    assert "A draft is waiting" in html
    browser.post(
        f"/incidents/{incident.pk}/answer/{draft.pk}/edit/",
        {"text": "We're sorry, and we are looking into it now."},
    )
    assert the_draft(world).text == f"We're sorry, and we are looking into it now.\n\n{link}"
    expect_reply(api)
    response = browser.post(f"/incidents/{incident.pk}/answer/{draft.pk}/send/")
    assert response.status_code == 302
    api.check_assertions()
    sent = the_draft(world)
    assert sent.status == "sent" and sent.url == REPLIES["instagram"][2]
    html = browser.get(response["Location"]).content.decode()
    assert "Sent on Instagram." in html
    assert "Answered on Instagram after" in html  # the clock stopped
    assert "The brand answered here at" in html and "Reply anyway" in html
    assert f'href="?reply={mention.pk}#compose" class="button"' not in html
    html = browser.get(f"/incidents/{incident.pk}/").content.decode()
    assert "1 answer out" in html and "Reply #" in html  # on the timeline
    # A second reply in the same thread is refused with the article's reason.
    browser.post(
        f"/incidents/{incident.pk}/answer/draft/", {"mention": mention.pk, "text": "Also: sorry."}
    )
    with tenancy.tenant_context(world.alpha):
        second = Response.objects.get(status="draft")
    tenancy.reset_to_public()
    refused = browser.post(f"/incidents/{incident.pk}/answer/{second.pk}/send/", follow=True)
    text = refused.content.decode()
    assert "Reply once: the brand answered in this thread already" in text
    assert "A second answer is a discussion" in text
    assert len(api.log) == 1  # nothing more went out


def test_the_lead_allows_a_second_reply_with_a_reason(world, api):  # noqa: F811
    incident, mention = instagram(world)
    browser = page(world, world.staff_a, world.alpha)
    browser.post(
        f"/incidents/{incident.pk}/answer/record/",
        {
            "mention": mention.pk,
            "url": "https://www.instagram.com/p/DAbCdEf/c/1",
            "text": "We're on it.",
        },
    )
    browser.post(
        f"/incidents/{incident.pk}/answer/draft/", {"mention": mention.pk, "text": "An update."}
    )
    with tenancy.tenant_context(world.alpha):
        recorded_one = Response.objects.get(status="recorded")
        second = Response.objects.get(status="draft")
        assert Incident.objects.get(pk=incident.pk).lead == ""  # opened by the crisis rule
    tenancy.reset_to_public()
    assert recorded_one.url == "https://www.instagram.com/p/DAbCdEf/c/1"
    # Staff who are not the lead may not allow it; an account manager may.
    html = browser.post(
        f"/incidents/{incident.pk}/answer/{second.pk}/send/",
        {"override_reason": "the fix is live"},
        follow=True,
    ).content.decode()
    assert "Only the incident&#x27;s lead may allow a second reply." in html
    expect_reply(api)
    manager = page(world, world.manager, world.alpha)
    response = manager.post(
        f"/incidents/{incident.pk}/answer/{second.pk}/send/",
        {"override_reason": "the fix is live"},
    )
    assert response.status_code == 302
    with tenancy.tenant_context(world.alpha):
        sent = Response.objects.get(pk=second.pk)
        assert (sent.status, sent.override_reason) == ("sent", "the fix is live")
        notes = list(IncidentEvent.objects.values_list("note", flat=True))
    tenancy.reset_to_public()
    assert any("a second reply, allowed: the fix is live" in n for n in notes)


def test_a_crisis_reply_waits_for_the_clients_approval(world, api):  # noqa: F811
    incident, mention = instagram(world)
    with tenancy.tenant_context(world.alpha):
        response_approval_require(client=world.alpha, required=True, acting_user=world.manager)
    tenancy.reset_to_public()
    staff = page(world, world.staff_a, world.alpha)
    staff.post(
        f"/incidents/{incident.pk}/answer/draft/",
        {"mention": mention.pk, "text": "We're sorry, we are looking into it."},
    )
    draft = the_draft(world)
    html = staff.get(f"/incidents/{incident.pk}/answer/").content.decode()
    assert "Needs approval" in html
    assert f'action="/incidents/{incident.pk}/answer/{draft.pk}/send/"' not in html
    assert f'action="/incidents/{incident.pk}/answer/{draft.pk}/approve/"' not in html  # staff
    viewer = page(world, world.viewer_a, world.alpha)
    html = viewer.get(f"/incidents/{incident.pk}/answer/").content.decode()
    assert f'action="/incidents/{incident.pk}/answer/{draft.pk}/approve/"' in html
    assert "Save the draft" not in html and "/discard/" not in html
    # The viewer's one write: the approval (any other POST stays refused).
    assert viewer.post(f"/incidents/{incident.pk}/answer/{draft.pk}/discard/").status_code == 403
    assert viewer.post(f"/incidents/{incident.pk}/answer/{draft.pk}/approve/").status_code == 302
    html = staff.get(f"/incidents/{incident.pk}/answer/").content.decode()
    assert "Approved" in html
    assert f'action="/incidents/{incident.pk}/answer/{draft.pk}/send/"' in html
    expect_reply(api)
    staff.post(f"/incidents/{incident.pk}/answer/{draft.pk}/send/")
    assert the_draft(world).status == "sent"


def test_a_draft_is_thrown_away_and_a_recorded_one_stays(world, api):  # noqa: F811
    incident, mention = instagram(world)
    browser = page(world, world.staff_a, world.alpha)
    browser.post(
        f"/incidents/{incident.pk}/answer/draft/", {"platform": "instagram", "text": "Own post."}
    )
    draft = the_draft(world)
    assert (draft.kind, draft.mention_id) == ("post", None)
    assert browser.post(f"/incidents/{incident.pk}/answer/{draft.pk}/discard/").status_code == 302
    browser.post(
        f"/incidents/{incident.pk}/answer/record/",
        {"mention": mention.pk, "url": "https://instagram.com/p/x", "text": "We're on it."},
    )
    made = the_draft(world)
    assert made.status == "recorded"
    html = browser.post(
        f"/incidents/{incident.pk}/answer/{made.pk}/discard/", follow=True
    ).content.decode()
    assert "is made elsewhere, recorded: it stays." in html
    with tenancy.tenant_context(world.alpha):
        assert list(Response.objects.values_list("status", flat=True)) == ["recorded"]
    tenancy.reset_to_public()


def test_another_brands_incident_response_and_messages_stay_out_of_reach(world, api):  # noqa: F811
    incident, mention = instagram(world)
    browser = page(world, world.staff_a, world.alpha)
    browser.post(f"/incidents/{incident.pk}/answer/draft/", {"mention": mention.pk, "text": "Hi"})
    draft = the_draft(world)
    # On the other brand's host the same ids are not found; its staff have no access here.
    other = page(world, world.staff_b, world.bravo)
    assert other.get(f"/incidents/{incident.pk}/answer/").status_code == 404
    for action in ("send", "edit", "discard", "approve"):
        assert other.post(f"/incidents/{incident.pk}/answer/{draft.pk}/{action}/").status_code in (
            403,
            404,
        )
    outsider = page(world, world.staff_b, world.alpha)
    assert outsider.get(f"/incidents/{incident.pk}/answer/").status_code == 403
    # A reply to a message of another wave (or brand) is refused, not drafted.
    with tenancy.tenant_context(world.alpha):
        Mention.objects.filter(pk=mention.pk).update(wave=None)
    tenancy.reset_to_public()
    response = browser.post(
        f"/incidents/{incident.pk}/answer/draft/", {"mention": mention.pk, "text": "Hi"}
    )
    assert response.status_code == 400
    assert "not in this incident&#x27;s wave" in response.content.decode()
    assert len(api.log) == 0


def test_the_answer_page_reads_in_a_fixed_number_of_queries(world, api):  # noqa: F811
    incident, _mention = instagram(world)
    browser = page(world, world.staff_a, world.alpha)
    browser.get(f"/incidents/{incident.pk}/answer/")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(f"/incidents/{incident.pk}/answer/").status_code == 200
        return len(captured)

    before = queries()
    for n in range(5):
        browser.post(
            f"/incidents/{incident.pk}/answer/draft/",
            {"platform": "instagram", "text": f"Own post {n}."},
        )
    # Each draft card asks whether it needs approval (one audit read per card at most).
    assert queries() <= before + 5 * 2


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from(["mention", "platform", "text", "url", "override_reason", "kind"]),
        st.one_of(st.text(max_size=30), st.integers().map(str), st.just("instagram")),
        max_size=5,
    ),
    door=st.sampled_from(["draft/", "record/", "1/edit/", "1/send/", "1/discard/", "1/approve/"]),
)
def test_whatever_a_form_posts_the_answer_desk_never_fails(world, api, fields, door):  # noqa: F811
    with tenancy.tenant_context(world.alpha):
        found = Incident.objects.order_by("pk").first()
        draft = Response.objects.filter(status="draft").first()
    tenancy.reset_to_public()
    if found is None:
        found, _mention = instagram(world)
    browser = page(world, world.staff_a, world.alpha)
    if draft is None:
        browser.post(f"/incidents/{found.pk}/answer/draft/", {"platform": "x", "text": "Post."})
        with tenancy.tenant_context(world.alpha):
            draft = Response.objects.get(status="draft")
        tenancy.reset_to_public()
    door = door.replace("1/", f"{draft.pk}/")
    response = browser.post(f"/incidents/{found.pk}/answer/{door}", fields)
    assert response.status_code in (200, 302, 400, 403, 404)
    assert browser.get(f"/incidents/{found.pk}/answer/").status_code == 200

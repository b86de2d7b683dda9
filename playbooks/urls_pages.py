"""The incident pages (brand host)."""

from django.urls import path

from playbooks.views import incidents, responses

urlpatterns = [
    path("incidents/", incidents.incidents_page, name="incidents-page"),
    path("incidents/<int:pk>/", incidents.incident_page, name="incident-page"),
    path("incidents/<int:pk>/origin/", incidents.incident_origin, name="incident-origin"),
    path(
        "incidents/<int:pk>/steps/<int:step>/done/",
        incidents.incident_step,
        name="incident-step-done",
    ),
    path("incidents/<int:pk>/status/", incidents.incident_status, name="incident-status"),
    path("incidents/<int:pk>/lead/", incidents.incident_lead, name="incident-lead"),
    path("incidents/<int:pk>/join/", incidents.incident_join_page, name="incident-join"),
    path("incidents/<int:pk>/note/", incidents.incident_note, name="incident-note"),
    path("incidents/<int:pk>/close/", incidents.incident_close_page, name="incident-close"),
    # The answer desk: replies and own posts.
    path("incidents/<int:pk>/answer/", responses.answer_page, name="incident-answer"),
    path("incidents/<int:pk>/answer/draft/", responses.answer_draft, name="answer-draft"),
    path("incidents/<int:pk>/answer/record/", responses.answer_record, name="answer-record"),
    path("incidents/<int:pk>/answer/<int:rid>/edit/", responses.answer_edit, name="answer-edit"),
    path(
        "incidents/<int:pk>/answer/<int:rid>/approve/",
        responses.answer_approve,
        name="answer-approve",
    ),
    path("incidents/<int:pk>/answer/<int:rid>/send/", responses.answer_send, name="answer-send"),
    path(
        "incidents/<int:pk>/answer/<int:rid>/discard/",
        responses.answer_discard,
        name="answer-discard",
    ),
    path("incidents/for-alert/<int:pk>/", incidents.incident_for_alert, name="incident-for-alert"),
    path(
        "incidents/for-alert/<int:pk>/open/",
        incidents.incident_open_page,
        name="incident-open",
    ),
]

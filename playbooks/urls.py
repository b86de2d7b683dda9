"""The brand-host API of playbooks (under /api/v1/)."""

from django.urls import path

from playbooks import api, api_responses, api_settings

urlpatterns = [
    path("incidents/", api.IncidentList.as_view(), name="incidents"),
    path("incidents/<int:pk>/", api.IncidentDetail.as_view(), name="incident"),
    path("incidents/<int:pk>/origin/", api.IncidentOrigin.as_view(), name="incident-origin"),
    path(
        "incidents/<int:pk>/steps/<int:step>/done/",
        api.IncidentStepDone.as_view(),
        name="incident-step-done",
    ),
    path("incidents/<int:pk>/status/", api.IncidentStatusChange.as_view(), name="incident-status"),
    path("incidents/<int:pk>/close/", api.IncidentClose.as_view(), name="incident-close"),
    # An incident's replies and own posts (playbooks.api_responses)
    path(
        "incidents/<int:pk>/responses/",
        api_responses.IncidentResponses.as_view(),
        name="incident-responses",
    ),
    path(
        "incidents/<int:pk>/responses/record/",
        api_responses.IncidentResponseRecord.as_view(),
        name="incident-response-record",
    ),
    path("responses/<int:pk>/", api_responses.ResponseDetail.as_view(), name="response"),
    path("responses/<int:pk>/send/", api_responses.ResponseSend.as_view(), name="response-send"),
    path(
        "responses/<int:pk>/approve/",
        api_responses.ResponseApprove.as_view(),
        name="response-approve",
    ),
    # The brand's response settings (playbooks.api_settings)
    path(
        "response-settings/", api_settings.ResponseSettingsView.as_view(), name="response-settings"
    ),
]

"""The brand-host API of playbooks (under /api/v1/)."""

from django.urls import path

from playbooks import api

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
]

"""The incident pages (brand host)."""

from django.urls import path

from playbooks.views import incidents

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
    path("incidents/<int:pk>/close/", incidents.incident_close_page, name="incident-close"),
    path("incidents/for-alert/<int:pk>/", incidents.incident_for_alert, name="incident-for-alert"),
    path(
        "incidents/for-alert/<int:pk>/open/",
        incidents.incident_open_page,
        name="incident-open",
    ),
]

"""The employee list, the notice to the employees, and an employee's read link (brand host)."""

from django.urls import path

from playbooks import views_notices

urlpatterns = [
    path("employees/", views_notices.employees_page, name="employees-page"),
    path("employees/<int:pk>/active/", views_notices.employee_active, name="employee-active"),
    path("incidents/<int:pk>/notice/", views_notices.incident_notice_page, name="incident-notice"),
    path(
        "incidents/<int:pk>/notice/counts/",
        views_notices.incident_notice_counts,
        name="incident-notice-counts",
    ),
    # Signed tokens are URL-safe base64 with ':' separators.
    path("notice/<str:token>/", views_notices.notice_read, name="notice-read"),
]

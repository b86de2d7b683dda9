"""The brand's ambassador pages (brand host)."""

from django.urls import path

from playbooks import views_ambassadors

urlpatterns = [
    path("ambassadors/", views_ambassadors.ambassadors_page, name="ambassadors-page"),
    path(
        "incidents/<int:pk>/ambassadors/",
        views_ambassadors.incident_ambassadors_page,
        name="incident-ambassadors",
    ),
]

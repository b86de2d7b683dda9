"""The brand's playbook pages (brand host)."""

from django.urls import path

from playbooks import views_lessons, views_playbooks

urlpatterns = [
    path("playbooks/", views_playbooks.playbooks_page, name="playbooks-page"),
    path("playbooks/<int:pk>/", views_playbooks.playbook_page, name="playbook-page"),
    # An incident's lessons in its playbook's editor (the incident's id).
    path("incidents/<int:pk>/lessons/", views_lessons.lessons_page, name="playbook-lessons"),
]

"""The brand's playbook pages (brand host)."""

from django.urls import path

from playbooks import views_playbooks

urlpatterns = [
    path("playbooks/", views_playbooks.playbooks_page, name="playbooks-page"),
    path("playbooks/<int:pk>/", views_playbooks.playbook_page, name="playbook-page"),
]

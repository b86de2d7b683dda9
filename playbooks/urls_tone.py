"""The tone check of a draft while it is written (brand host)."""

from django.urls import path

from playbooks import views_tone

urlpatterns = [
    path("tone/", views_tone.tone_check_view, name="tone-check"),
]

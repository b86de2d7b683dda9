"""The crisis Q&A page (brand host): public at /qa/<code>/, its editor under the incident."""

from django.urls import path

from playbooks import views_qa

urlpatterns = [
    # Public, no log-in (agency.middleware.PUBLIC_PREFIXES).
    path("qa/<slug:code>/", views_qa.qa_public, name="qa-public"),
    path("incidents/<int:pk>/qa/", views_qa.qa_edit, name="qa-edit"),
    path("incidents/<int:pk>/qa/draft/", views_qa.qa_draft, name="qa-draft"),
    path(
        "incidents/<int:pk>/qa/versions/<int:number>/publish/",
        views_qa.qa_publish,
        name="qa-publish",
    ),
]

"""URLs of a brand host (the brand's schema)."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from agency.api_errors import json_not_found, json_server_error

api_v1 = [
    path("", include("monitoring.urls")),
    path("", include("playbooks.urls")),
]

SWAGGER_PAGE = "agency/swagger_ui.html"

urlpatterns = [
    path("", include("monitoring.urls_pages")),
    path("", include("playbooks.urls_pages")),
    path("", include("playbooks.urls_notices")),
    path("", include("playbooks.urls_qa")),
    path("", include("playbooks.urls_playbooks")),
    path("", include("playbooks.urls_ambassadors")),
    path("", include("playbooks.urls_settings")),
    path("", include("playbooks.urls_tone")),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="agency.urls_tenant"), name="schema"),
    # Its init script is served as a file (`?script`), for the Content-Security-Policy.
    path(
        "api/schema/swagger/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name=SWAGGER_PAGE),
        name="swagger",
    ),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return defaults.server_error(request)


handler404 = "agency.urls_tenant.not_found"
handler500 = "agency.urls_tenant.server_error"

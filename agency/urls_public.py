"""URLs of the agency host (public schema)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from agency import api, views
from clients import views as client_views
from clients.api import ClientViewSet

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")

api_v1 = [
    path("me/", api.MeView.as_view(), name="me"),
    path("auth/token/", api.TokenView.as_view(), name="auth-token"),
    path("coverage/", api.CoverageView.as_view(), name="coverage"),
    *router.urls,
]

SWAGGER_PAGE = "agency/swagger_ui.html"

urlpatterns = [
    path("", views.portal_home, name="portal-home"),
    path("desk/rows/", views.desk_refresh, name="desk-rows"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("brands/new/", client_views.brand_onboard, name="brand-onboard"),
    path("brands/<slug:slug>/", client_views.brand_admin, name="brand-admin"),
    path("brands/<slug:slug>/export/", client_views.brand_export, name="brand-export"),
    path("brands/<slug:slug>/offboard/", client_views.brand_offboard, name="brand-offboard"),
    path("language/", views.language_choose, name="language"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="agency.urls_public"), name="schema"),
    # Its init script is served as a file (`?script`), for the Content-Security-Policy.
    path(
        "api/schema/swagger/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name=SWAGGER_PAGE),
        name="swagger",
    ),
]

handler404 = "agency.urls_tenant.not_found"
handler500 = "agency.urls_tenant.server_error"

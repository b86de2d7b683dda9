from django.urls import path

from monitoring import api

urlpatterns = [
    path("brand/", api.BrandView.as_view(), name="brand"),
    path("brand/settings/", api.BrandSettingsView.as_view(), name="brand-settings"),
]

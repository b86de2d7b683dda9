"""The brand's response settings page (brand host)."""

from django.urls import path

from playbooks import views_settings

urlpatterns = [
    path("response-settings/", views_settings.response_settings_page, name="response-settings"),
    path(
        "response-settings/holidays/",
        views_settings.response_holiday_add,
        name="response-settings-holiday-add",
    ),
    path(
        "response-settings/holidays/remove/",
        views_settings.response_holiday_remove,
        name="response-settings-holiday-remove",
    ),
]

"""The brand pages of monitoring (brand host)."""

from django.urls import path

from monitoring.views import alerts, dashboard

urlpatterns = [
    path("", dashboard.brand_home, name="brand-home"),
    path("alerts/", alerts.alerts_page, name="alerts-page"),
    path("alerts/<int:pk>/", alerts.alert_page, name="alert-page"),
    *(
        path(
            f"alerts/<int:pk>/{action}/",
            alerts.alert_act,
            {"action": action},
            name=f"alert-{action}",
        )
        for action in ("acknowledge", "resolve", "dismiss")
    ),
]

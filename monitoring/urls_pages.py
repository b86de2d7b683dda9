"""The brand pages of monitoring (brand host)."""

from django.urls import path

from monitoring import views

urlpatterns = [
    path("alerts/", views.alerts_page, name="alerts-page"),
    path("alerts/<int:pk>/", views.alert_page, name="alert-page"),
    *(
        path(
            f"alerts/<int:pk>/{action}/",
            views.alert_act,
            {"action": action},
            name=f"alert-{action}",
        )
        for action in ("acknowledge", "resolve", "dismiss")
    ),
]

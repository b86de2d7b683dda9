from django.urls import path

from monitoring import webhooks
from monitoring.api import alerts, cover, escalation, watch
from monitoring.api import intake as api

urlpatterns = [
    path("brand/", api.BrandView.as_view(), name="brand"),
    path("brand/settings/", api.BrandSettingsView.as_view(), name="brand-settings"),
    path("sources/", api.SourceList.as_view(), name="sources"),
    path("sources/<int:pk>/", api.SourceDetail.as_view(), name="source"),
    path("sources/<int:pk>/mentions/", api.SourceMentionsIngest.as_view(), name="source-ingest"),
    path("sources/<int:pk>/test/", api.SourceTestConnection.as_view(), name="source-test"),
    path("mentions/", api.MentionList.as_view(), name="mentions"),
    path("mentions/export.csv", api.MentionExport.as_view(), name="mentions-export"),
    path("dead-letters/", api.DeadLetterList.as_view(), name="dead-letters"),
    path("dead-letters/<int:pk>/", api.DeadLetterDetail.as_view(), name="dead-letter"),
    path(
        "dead-letters/<int:pk>/replay/", api.DeadLetterReplay.as_view(), name="dead-letter-replay"
    ),
    path(
        "dead-letters/<int:pk>/discard/",
        api.DeadLetterDiscard.as_view(),
        name="dead-letter-discard",
    ),
    path("imports/", api.ImportList.as_view(), name="imports"),
    path("imports/<int:pk>/", api.ImportDetail.as_view(), name="import"),
    path("waves/", alerts.WaveList.as_view(), name="waves"),
    path("waves/<int:pk>/", alerts.WaveDetail.as_view(), name="wave"),
    path("alerts/", alerts.AlertList.as_view(), name="alerts"),
    path("alerts/<int:pk>/", alerts.AlertDetail.as_view(), name="alert"),
    path(
        "alerts/<int:pk>/acknowledge/", alerts.AlertAcknowledge.as_view(), name="alert-acknowledge"
    ),
    path("alerts/<int:pk>/resolve/", alerts.AlertResolve.as_view(), name="alert-resolve"),
    path("alerts/<int:pk>/dismiss/", alerts.AlertDismiss.as_view(), name="alert-dismiss"),
    path("watch/", watch.WatchLogView.as_view(), name="watch"),
    path("watch/checks/", watch.WatchCheckCreate.as_view(), name="watch-checks"),
    path("cover/", cover.CoverView.as_view(), name="cover"),
    path("escalation/", escalation.EscalationPolicyView.as_view(), name="escalation-policy"),
    path("hooks/<uuid:public_id>/", webhooks.signed_webhook, name="hook-signed"),
    path("hooks/<uuid:public_id>/meta/", webhooks.meta_webhook, name="hook-meta"),
]

"""The brand pages of monitoring (brand host)."""

from django.urls import path

from agency.views_roster import brand_cover_part
from monitoring.views import (
    alerts,
    dashboard,
    dead_letters,
    escalation,
    imports,
    members,
    mentions,
    settings,
    sources,
    watch,
    waves,
)

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
    path("mentions/", mentions.mentions_page, name="mentions-page"),
    path("waves/", waves.waves_page, name="waves-page"),
    path("waves/<int:pk>/", waves.wave_page, name="wave-page"),
    path("sources/", sources.sources_page, name="sources-page"),
    path("sources/<int:pk>/", sources.source_page, name="source-page"),
    path("sources/<int:pk>/settings/", sources.source_settings, name="source-settings"),
    path("sources/<int:pk>/credentials/", sources.source_credentials, name="source-credentials"),
    path("sources/<int:pk>/test/", sources.source_test, name="source-test"),
    *(
        path(
            f"sources/<int:pk>/{action}/",
            sources.source_activity,
            {"active": active},
            name=f"source-{action}",
        )
        for action, active in (("pause", False), ("resume", True))
    ),
    path("settings/", settings.settings_page, name="settings-page"),
    path("watch/", watch.watch_page, name="watch-page"),
    path("escalation/", escalation.escalation_page, name="escalation-page"),
    path("watch/cover/", brand_cover_part, name="watch-cover"),
    path("members/", members.members_page, name="members-page"),
    path("members/grant/", members.member_grant, name="member-grant"),
    path("members/revoke/", members.member_revoke, name="member-revoke"),
    path("dead-letters/", dead_letters.dead_letters_page, name="dead-letters-page"),
    path("dead-letters/<int:pk>/", dead_letters.dead_letter_page, name="dead-letter-page"),
    path(
        "dead-letters/<int:pk>/replay/",
        dead_letters.dead_letter_replay_page,
        name="dead-letter-replay",
    ),
    path(
        "dead-letters/<int:pk>/discard/",
        dead_letters.dead_letter_discard_page,
        name="dead-letter-discard",
    ),
    path("imports/", imports.imports_page, name="imports-page"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import-progress"),
]

"""URLs of the agency host (public schema)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from agency import api, api_calendar, api_contact, views, views_calendar, views_contact
from agency import api_roster as roster_api
from agency import views_roster as roster
from clients import views as client_views
from clients.api import ClientViewSet
from monitoring.views.ack import alert_ack, watch_check_link

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")

api_v1 = [
    path("me/", api.MeView.as_view(), name="me"),
    path("auth/token/", api.TokenView.as_view(), name="auth-token"),
    path("coverage/", api.CoverageView.as_view(), name="coverage"),
    path("me/calendar/", api_calendar.MyCalendarView.as_view(), name="my-calendar"),
    path(
        "me/calendar/reset/", api_calendar.MyCalendarResetView.as_view(), name="my-calendar-reset"
    ),
    path(
        "schedules/<int:pk>/calendar/",
        api_calendar.ScheduleCalendarView.as_view(),
        name="schedule-calendar",
    ),
    path(
        "schedules/<int:pk>/calendar/reset/",
        api_calendar.ScheduleCalendarResetView.as_view(),
        name="schedule-calendar-reset",
    ),
    path("me/contact-methods/", api_contact.ContactMethodsView.as_view(), name="contact-methods"),
    path(
        "me/contact-methods/<int:pk>/",
        api_contact.ContactMethodView.as_view(),
        name="contact-method",
    ),
    path(
        "me/contact-methods/<int:pk>/test/",
        api_contact.ContactMethodTestView.as_view(),
        name="contact-method-test",
    ),
    path(
        "me/notification-rules/",
        api_contact.NotificationRulesView.as_view(),
        name="notification-rules",
    ),
    path("me/notifications/", api_contact.NotificationsView.as_view(), name="notifications"),
    # The roster (agency.api_roster)
    path("schedules/", roster_api.ScheduleListView.as_view(), name="schedules"),
    path("schedules/<int:pk>/", roster_api.ScheduleDetailView.as_view(), name="schedule"),
    path("schedules/<int:pk>/layers/", roster_api.LayerCreateView.as_view(), name="layers"),
    path("schedules/<int:pk>/slots/", roster_api.SlotsView.as_view(), name="slots"),
    path("schedules/<int:pk>/overrides/", roster_api.OverrideListView.as_view(), name="overrides"),
    path("layers/<int:pk>/", roster_api.LayerDetailView.as_view(), name="layer"),
    path("overrides/<int:pk>/", roster_api.OverrideDetailView.as_view(), name="override"),
    path("leave/", roster_api.LeaveListView.as_view(), name="leave"),
    path("leave/<int:pk>/", roster_api.LeaveDetailView.as_view(), name="leave-item"),
    path("swaps/", roster_api.SwapListView.as_view(), name="swaps"),
    path("swaps/<int:pk>/take/", roster_api.SwapTakeView.as_view(), name="swap-take"),
    path("swaps/<int:pk>/approve/", roster_api.SwapApproveView.as_view(), name="swap-approve"),
    path("swaps/<int:pk>/reject/", roster_api.SwapRejectView.as_view(), name="swap-reject"),
    path("swaps/<int:pk>/withdraw/", roster_api.SwapWithdrawView.as_view(), name="swap-withdraw"),
    path("me/shifts/", roster_api.MyShiftsView.as_view(), name="my-shifts"),
    *router.urls,
]

SWAGGER_PAGE = "agency/swagger_ui.html"

urlpatterns = [
    path("", views.portal_home, name="portal-home"),
    path("desk/rows/", views.desk_refresh, name="desk-rows"),
    path("desk/check/<slug:slug>/", views.desk_check, name="desk-check"),
    path("coverage/", views.coverage_page, name="coverage"),
    path("calendar/<slug:token>.ics", views_calendar.calendar_feed, name="calendar-feed"),
    path("brands/new/", client_views.brand_onboard, name="brand-onboard"),
    path("brands/<slug:slug>/", client_views.brand_admin, name="brand-admin"),
    path("brands/<slug:slug>/export/", client_views.brand_export, name="brand-export"),
    path("brands/<slug:slug>/offboard/", client_views.brand_offboard, name="brand-offboard"),
    path("language/", views.language_choose, name="language"),
    # The roster's pages (agency.views_roster)
    path("schedules/", roster.schedules_page, name="schedules"),
    path("schedules/layers/", roster.layer_add_page, name="layer-add"),
    path("schedules/<int:pk>/", roster.schedule_page, name="schedule-page"),
    path("schedules/<int:pk>/edit/", roster.schedule_edit_page, name="schedule-edit"),
    path("schedules/<int:pk>/overrides/", roster.override_add_page, name="override-add"),
    path(
        "schedules/<int:pk>/overrides/<int:override_pk>/remove/",
        roster.override_remove_page,
        name="override-remove",
    ),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/remove/",
        roster.layer_remove_page,
        name="layer-remove",
    ),
    path("shifts/", roster.shifts_page, name="shifts"),
    path("shifts/offer/", roster.offer_page, name="shift-offer"),
    path("shifts/leave/", roster.leave_add_page, name="leave-add"),
    path("shifts/leave/<int:pk>/remove/", roster.leave_remove_page, name="leave-remove"),
    path("swaps/", roster.swaps_page, name="swaps"),
    path("swaps/<int:pk>/take/", roster.swap_take_page, name="swap-take"),
    path("swaps/<int:pk>/decide/", roster.swap_decide_page, name="swap-decide"),
    path("swaps/<int:pk>/withdraw/", roster.swap_withdraw_page, name="swap-withdraw"),
    path("me/notifications/", views_contact.contact_methods_page, name="contact-methods"),
    path("me/notifications/email/", views_contact.contact_add_email, name="contact-add-email"),
    path(
        "me/notifications/apprise/", views_contact.contact_add_apprise, name="contact-add-apprise"
    ),
    path("me/notifications/push/", views_contact.push_subscribe, name="contact-push"),
    path("me/notifications/rules/", views_contact.contact_rules, name="contact-rules"),
    path("me/notifications/<int:pk>/test/", views_contact.contact_test, name="contact-test"),
    path("me/notifications/<int:pk>/remove/", views_contact.contact_remove, name="contact-remove"),
    path(
        "me/notifications/verify/<str:token>/", views_contact.contact_verify, name="contact-verify"
    ),
    path("sw.js", views_contact.service_worker, name="service-worker"),
    path("ack/<str:token>/", alert_ack, name="alert-ack"),
    path("check/<str:token>/", watch_check_link, name="watch-check-link"),
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

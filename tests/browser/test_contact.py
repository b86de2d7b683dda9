"""Contact methods in Chromium: a staff member on a phone adds an e-mail address, sends it a
test message, opens the link it carries and sees the method verified; push on this device:
the service worker served for the whole portal and registered by push.js; headless Chromium
refuses a real push subscription (and the test machine has no push service), which the page
says in words; with the browser's push service stubbed at its boundary, the subscription
push.js posts becomes a method whose test message reaches the device (a local server),
decrypted as the browser would, and its link confirms the method; the service worker shows a
pushed message; accessibility."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from agency.models import ContactMethod, Notification
from agency.notifications import notification_deliver
from agency.transports import vapid_public_key
from tests.agency.test_transports import push_device
from tests.browser.conftest import DESK, PHONE, log_in, serious, shot

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

HOST = "agency.localhost"
PAGE = "/me/notifications/"


def no_sideways_scroll(page: Any) -> None:
    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
        shot(page, "contact-phone-too-wide")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_staff_on_a_phone_add_an_address_test_it_and_confirm_it(world, site, chromium):
    page = log_in(chromium, site, world.staff_a.email, viewport=PHONE)
    page.click("header.top >> text=Notifications")
    page.wait_for_selector("h1:has-text('Notifications')")
    assert "pages reach you at your account's e-mail address" in page.inner_text("#methods")
    no_sideways_scroll(page)
    page.click("text=Examples of apprise URLs")
    assert page.locator(".apprise-help code").first.is_visible()
    no_sideways_scroll(page)
    shot(page, "contact-phone-empty")
    assert serious(page) == []
    page.fill("input[name=email-target]", "night-phone@example.test")
    page.fill("input[name=email-label]", "private")
    page.click("text=Add the address")
    page.wait_for_selector("text=waiting for your confirmation")
    methods = page.inner_text("#methods")
    assert "night-phone@example.test" in methods and "private" in methods
    page.click("#methods >> text=Send test")
    page.wait_for_selector("text=A test message is on its way to private")
    assert "Stormdesk test message" in page.inner_text("#recent")
    no_sideways_scroll(page)
    shot(page, "contact-phone-test-sent")
    assert serious(page) == []
    row = Notification.objects.get(user=world.staff_a)
    assert row.method is not None and row.method.target_hint == "night-phone@example.test"
    # The link as the message carries it, opened on the phone
    page.goto(row.link)
    page.wait_for_selector("h1:has-text('Verified')")
    assert "night-phone@example.test" in page.inner_text("main")
    shot(page, "contact-phone-verified")
    assert serious(page) == []
    page.click("text=Your notifications")
    page.wait_for_selector("#methods")
    assert "verified" in page.inner_text("#methods")
    assert "waiting for your confirmation" not in page.inner_text("#methods")
    assert ContactMethod.objects.get(user=world.staff_a).verified_at is not None
    # and a rule on it: by e-mail, 3 minutes after the page
    page.select_option("select[name=method_0]", label="E-mail: private")
    page.fill("input[name=after_0]", "3")
    page.click("text=Save the rules")
    page.wait_for_selector("text=Your rules are saved.")
    assert "E-mail: private — after 3 minutes" in page.inner_text(".reach-plan")
    no_sideways_scroll(page)
    shot(page, "contact-phone-rules")
    assert serious(page) == []
    page.close()


def _origin(site: Any) -> str:
    return site.url(HOST, "").rstrip("/")


def test_the_push_button_and_its_service_worker_and_a_real_subscription_refused(
    world, site, chromium
):
    page = log_in(chromium, site, world.staff_a.email, viewport=DESK)
    page.context.grant_permissions(["notifications"], origin=_origin(site))
    page.goto(site.url(HOST, PAGE))
    button = page.locator("#push-on")
    assert button.is_visible() and button.inner_text() == "Enable push on this device"
    worker = page.evaluate(
        """fetch("/sw.js").then(r => ({
             status: r.status, allowed: r.headers.get("Service-Worker-Allowed"),
             type: r.headers.get("Content-Type")}))"""
    )
    assert worker["status"] == 200 and worker["allowed"] == "/"
    assert worker["type"].startswith("text/javascript")
    # Headless Chromium denies push itself ("Registration failed - permission denied"), and no
    # push service answers on this machine: the page says so and keeps the button.
    button.click()
    page.wait_for_selector(".push-status:has-text('Push could not be turned on')")
    assert button.is_enabled()
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r && r.scope)")
    assert scope == f"{_origin(site)}/"
    assert not ContactMethod.objects.exists()
    shot(page, "contact-push-refused")
    assert serious(page) == []
    page.close()


# The browser's push service, stubbed at its boundary: subscribe() answers the subscription
# of a device whose endpoint is the test's server, and records the key it was asked with.
STUB = """
(() => {
  const device = %s;
  const subscription = {
    endpoint: device.endpoint, options: {applicationServerKey: null},
    toJSON: () => device, unsubscribe: () => Promise.resolve(true)
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(null); };
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.sessionStorage.setItem("subscribed-with", btoa(String.fromCharCode.apply(null, key)));
    return Promise.resolve(subscription);
  };
})();
"""


def test_push_on_a_phone_reaches_the_device_and_its_link_confirms_it(
    world, site, chromium, httpserver
):
    httpserver.expect_request("/push/phone", method="POST").respond_with_data("", status=201)
    device = push_device(httpserver.url_for("/push/phone"))
    page = log_in(
        chromium,
        site,
        world.staff_a.email,
        viewport=PHONE,
        init_script=STUB % json.dumps(device.subscription),
    )
    page.context.grant_permissions(["notifications"], origin=_origin(site))
    page.goto(site.url(HOST, PAGE))
    page.fill("#push-label", "My phone")
    page.click("#push-on")
    page.wait_for_selector("text=Push is on for this device. A test message is on its way")
    asked = base64.b64decode(page.evaluate("sessionStorage.getItem('subscribed-with')"))
    assert asked == base64.urlsafe_b64decode(vapid_public_key() + "=")
    method = ContactMethod.objects.get(user=world.staff_a)
    assert (method.kind, method.label, method.verified_at) == ("push", "My phone", None)
    assert "Web Push · My phone" in page.inner_text("#methods")
    no_sideways_scroll(page)
    shot(page, "contact-phone-push-on")
    assert serious(page) == []
    # The worker sends the test message: the device gets it, and only it can read it
    row = Notification.objects.get(method=method)
    assert notification_deliver(notification_id=row.pk) == "delivered"
    ((request, _response),) = httpserver.log
    message = device.decrypt(request.get_data())
    assert message["title"] == "Stormdesk test message"
    # The service worker shows it as the push service would hand it over
    shown = _push_to_worker(page, site, json.dumps(message))
    assert shown == {"title": message["title"], "body": message["body"], "url": row.link}
    # Tapping it opens the link
    page.goto(message["url"])
    page.wait_for_selector("h1:has-text('Verified')")
    method.refresh_from_db()
    assert method.verified_at is not None
    page.goto(site.url(HOST, PAGE))
    assert "verified" in page.inner_text("#methods")
    page.close()


def _push_to_worker(page: Any, site: Any, data: str) -> dict[str, str] | None:
    """A push message delivered to the page's service worker through DevTools (as the push
    service would), and the notification the worker then shows."""
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: registrations.extend(event["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(1000)  # the registration's event, on a busy machine too
    # This test's origin only: the browser keeps earlier tests' registrations (other ports).
    (registration,) = [
        r
        for r in registrations
        if not r.get("isDeleted") and r.get("scopeURL", "").startswith(_origin(site))
    ][:1]
    # A worker still starting may miss the first delivery (a busy machine): deliver again, as a
    # push service retries an undelivered message.
    shown = None
    for _attempt in range(3):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": _origin(site),
                "registrationId": registration["registrationId"],
                "data": data,
            },
        )
        shown = page.evaluate(
            """async () => {
              const registration = await navigator.serviceWorker.ready;
              for (let i = 0; i < 50; i += 1) {
                const shown = await registration.getNotifications();
                if (shown.length) {
                  const n = shown[0];
                  return {title: n.title, body: n.body, url: n.data.url};
                }
                await new Promise(resolve => setTimeout(resolve, 100));
              }
              return null;
            }"""
        )
        if shown:
            break
    return dict(shown) if shown else None


def test_a_viewer_finds_no_link_to_it(world, site, chromium):
    page = log_in(chromium, site, world.viewer_a.email)
    page.goto(site.url("alpha.agency.localhost", "/"))
    assert page.locator("header.top >> text=Notifications").count() == 0
    response = page.goto(site.url(HOST, PAGE))
    assert response is not None and response.status == 403
    assert urlsplit(page.url).path == PAGE
    page.close()

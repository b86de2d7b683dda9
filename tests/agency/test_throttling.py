"""Guessing passwords at the doors: the token endpoint and the login form, per client IP (which a
forged X-Forwarded-For cannot change) and per account (whatever IP the guesses come from).

Every test uses its own addresses and accounts: the counts live in Redis for the whole session.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory

from agency.throttling import LOGIN_FAILURE_LIMIT, client_ip
from tests.agency.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PROXY = "10.20.0.1"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):  # type: ignore[no-untyped-def]
    # Hundreds of password checks: the production hasher would take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def behind_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXIES = ["10.20.0.0/16", "2001:db8:ffff::/48"]


def token(remote: str, email: str, password: str, xff: str | None = None):  # type: ignore[no-untyped-def]
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return HttpClient(HTTP_HOST="agency.localhost").post(
        TOKEN_URL, {"email": email, "password": password}, content_type="application/json", **extra
    )


def login_form(remote: str, email: str, password: str, xff: str | None = None):  # type: ignore[no-untyped-def]
    extra: dict[str, Any] = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return HttpClient(HTTP_HOST="agency.localhost").post(
        "/accounts/login/", {"login": email, "password": password}, **extra
    )


def test_forged_forwarded_for_does_not_reset_the_token_throttle(world):
    user = UserFactory.create(email="forger-target@example.test")
    statuses = [
        token("198.51.100.10", user.email, "wrong", xff=f"203.0.113.{n}").status_code
        for n in range(40)
    ]
    assert 429 in statuses
    assert statuses.index(429) <= 20
    refused = token("198.51.100.10", user.email, PASSWORD, xff="203.0.113.99")
    assert refused.status_code == 429
    assert refused.json()["error"]["status"] == 429
    # the account is locked too: the right password from an address nobody throttles is refused
    locked = token("198.51.100.11", user.email, PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"
    assert int(locked["Retry-After"]) > 0
    # an account nobody guessed at still logs in
    other = UserFactory.create(email="forger-bystander@example.test")
    assert token("198.51.100.11", other.email, PASSWORD).status_code == 200


def test_a_trusted_proxy_forwarded_for_is_honoured(world, behind_proxy):
    # Two clients behind the same proxy; unknown e-mails, so that no account gets locked.
    for n in range(20):
        response = token(PROXY, f"nobody{n}@example.test", "wrong", xff="203.0.113.50")
        assert response.status_code == 403, n
    assert token(PROXY, "nobody@example.test", "wrong", xff="203.0.113.50").status_code == 429
    # a prefix the client wrote itself changes nothing: the proxy appended the real address
    forged = token(PROXY, "nobody@example.test", "wrong", xff="1.2.3.4, 203.0.113.50")
    assert forged.status_code == 429
    # the other client behind the same proxy has a count of its own
    assert token(PROXY, "nobody@example.test", "wrong", xff="203.0.113.51").status_code == 403
    # and a client that is not a proxy is not believed: its own address is what counts
    for n in range(20):
        response = token("203.0.113.70", f"direct{n}@example.test", "w", xff=f"8.8.8.{n}")
        assert response.status_code == 403, n
    assert token("203.0.113.70", "direct@example.test", "w", xff="8.8.8.200").status_code == 429


def test_the_client_ip_is_the_rightmost_untrusted_hop(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]

    def ip(remote: str, xff: str | None = None) -> str:
        extra: dict[str, Any] = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
        return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))

    assert ip("198.51.100.1", "1.1.1.1") == "198.51.100.1"  # not a proxy: header ignored
    assert ip("10.0.0.1", "1.1.1.1, 203.0.113.7") == "203.0.113.7"
    assert ip("10.0.0.1", "203.0.113.7, 10.0.0.9") == "203.0.113.7"  # two of our proxies
    assert ip("10.0.0.1") == "10.0.0.1"  # the proxy itself (a health check)
    assert ip("10.0.0.1", "10.0.0.3, 10.0.0.2") == "10.0.0.3"  # all ours: the furthest
    assert ip("10.0.0.1", "203.0.113.7, not-an-ip") == "10.0.0.1"  # garbage stops the walk
    assert ip("2001:db8::1", "2001:db8::2, [2a01:4f8::5]:443") == "2a01:4f8::5"
    assert ip("10.0.0.1", " 203.0.113.8:5123 ") == "203.0.113.8"
    settings.TRUSTED_PROXIES = []
    assert ip("10.0.0.1", "203.0.113.7") == "10.0.0.1"  # trusting nobody by default


def test_the_account_locks_whatever_ip_the_guesses_come_from(world, behind_proxy):
    user = UserFactory.create(email="locked-out@example.test")
    for n in range(LOGIN_FAILURE_LIMIT - 1):
        # the e-mail's case makes no difference to the count
        email = user.email.upper() if n % 2 else user.email
        assert token(PROXY, email, "wrong", xff=f"203.0.113.{100 + n}").status_code == 403
    # the owner logs in in between: that does not wipe the guesses counted so far
    assert token(PROXY, user.email, PASSWORD, xff="192.0.2.1").status_code == 200
    assert token(PROXY, user.email, "wrong", xff="203.0.113.120").status_code == 403
    locked = token(PROXY, user.email, PASSWORD, xff="192.0.2.1")
    assert locked.status_code == 429
    body = locked.json()["error"]
    assert body["code"] == "account_locked" and body["fields"] == {}
    assert "too many failed" in body["message"].lower()
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    # the same client, another account: not locked
    other = UserFactory.create(email="not-locked@example.test")
    assert token(PROXY, other.email, PASSWORD, xff="192.0.2.1").status_code == 200
    # the login form refuses the locked account as well, with the right password
    page = login_form(PROXY, user.email, PASSWORD, xff="192.0.2.2")
    assert page.status_code == 200 and b"Too many failed login attempts" in page.content


def test_login_form_failures_count_towards_the_account_lock(world):
    user = UserFactory.create(email="form-guessed@example.test")
    # Five wrong passwords on the form (allauth's own per-account limit is 5 in 5 minutes),
    # each from a fresh address so that no per-IP limit is what stops them ...
    for n in range(5):
        page = login_form(f"198.51.100.{150 + n}", user.email, "wrong")
        assert b"not correct" in page.content, n
    # ... and five on the API make the ten that lock the account at both doors.
    for n in range(5):
        assert token(f"198.51.100.{160 + n}", user.email, "wrong").status_code == 403, n
    locked = token("198.51.100.170", user.email, PASSWORD)
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "account_locked"


def test_login_form_limits_follow_the_trusted_client_ip(world, behind_proxy):
    # allauth allows 10 failed logins a minute per IP; fresh e-mails keep its per-account
    # limit out of the way.
    for n in range(10):
        page = login_form(PROXY, f"form{n}@example.test", "wrong", xff="203.0.113.60")
        assert b"not correct" in page.content, n
    page = login_form(PROXY, "form@example.test", "wrong", xff="9.9.9.9, 203.0.113.60")
    assert b"Too many failed login attempts" in page.content
    # the next client behind the same proxy is not held up by the first
    page = login_form(PROXY, "form-b@example.test", "wrong", xff="203.0.113.61")
    assert b"not correct" in page.content
    # without a trusted proxy, a changing X-Forwarded-For changes nothing
    for n in range(10):
        login_form("198.51.100.60", f"direct{n}@example.test", "wrong", xff=f"7.7.7.{n}")
    page = login_form("198.51.100.60", "direct@example.test", "wrong", xff="7.7.7.77")
    assert b"Too many failed login attempts" in page.content

"""Logging in: e-mail and password through allauth, TOTP for users who turned MFA on, API tokens."""

import time

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client as HttpClient

from tests.agency.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    # A code made in the last seconds of its 30-s period may be checked in the next one (no
    # tolerance is allowed): wait for a fresh period instead.
    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.1)
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def test_email_login_then_back_to_the_brand_host(world):
    browser = HttpClient(HTTP_HOST="agency.localhost")
    response = browser.post(
        "/accounts/login/",
        {
            "login": "staff_a@example.test",
            "password": PASSWORD,
            "next": "http://alpha.agency.localhost:8000/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "http://alpha.agency.localhost:8000/"
    # the same session opens the brand host
    browser.defaults["HTTP_HOST"] = "alpha.agency.localhost"
    assert browser.get("/").status_code == 200


def test_login_refuses_a_redirect_off_our_domain(world):
    browser = HttpClient(HTTP_HOST="agency.localhost")
    response = browser.post(
        "/accounts/login/",
        {"login": "staff_a@example.test", "password": PASSWORD, "next": "http://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.parametrize(
    ("next_url", "followed"),
    [
        ("http://bravo.agency.localhost:8000/mentions/", True),
        ("http://agency.localhost:8000/api/v1/me/", True),
        ("/api/v1/me/", True),
        # a host under our domain that no brand answers on
        ("http://nosuchbrand.agency.localhost:8000/", False),
        ("http://a.b.agency.localhost:8000/", False),
        ("//nosuchbrand.agency.localhost/", False),
        ("https://evil.example/.agency.localhost/", False),
    ],
)
def test_login_follows_next_only_to_hosts_that_exist(world, next_url, followed):
    browser = HttpClient(HTTP_HOST="agency.localhost")
    response = browser.post(
        "/accounts/login/",
        {"login": "staff_a@example.test", "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    if followed:
        assert response["Location"] == next_url
    else:
        assert response["Location"] == "/"  # LOGIN_REDIRECT_URL


def test_wrong_password_is_refused(world):
    response = HttpClient(HTTP_HOST="agency.localhost").post(
        "/accounts/login/", {"login": "staff_a@example.test", "password": "nope"}
    )
    assert response.status_code == 200
    assert b"not correct" in response.content


def test_there_is_no_self_service_signup(world):
    response = HttpClient(HTTP_HOST="agency.localhost").get("/accounts/signup/")
    assert b"closed" in response.content.lower()


def test_totp_is_asked_after_the_password(world):
    user = UserFactory.create(email="mfa-user@example.test")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    browser = HttpClient(HTTP_HOST="agency.localhost")
    response = browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and "/2fa/authenticate" in response["Location"]
    assert browser.get("/api/v1/me/").status_code in (401, 403)  # not logged in yet
    assert browser.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200
    response = browser.post("/accounts/2fa/authenticate/", {"code": _code(secret)})
    assert response.status_code == 302
    assert browser.get("/api/v1/me/").json()["mfa_enabled"] is True


def test_api_token_needs_the_totp_code_when_mfa_is_on(world):
    user = UserFactory.create(email="mfa-api@example.test")
    api = HttpClient(HTTP_HOST="agency.localhost")
    url = "/api/v1/auth/token/"
    response = api.post(
        url, {"email": user.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200 and len(response.json()["token"]) == 40

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = api.post(
        url, {"email": user.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "TOTP" in response.json()["error"]["fields"]["code"][0]
    response = api.post(
        url,
        {"email": user.email, "password": PASSWORD, "code": _code(secret)},
        content_type="application/json",
    )
    assert response.status_code == 200
    response = api.post(
        url, {"email": user.email, "password": "wrong"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "E-mail or password is wrong."


def test_log_out_from_a_brand_page_posts_to_the_portal(world):
    # A real browser sends the brand host as Origin; the CSRF check must trust it.
    browser = HttpClient(HTTP_HOST="alpha.agency.localhost", enforce_csrf_checks=True)
    browser.force_login(world.staff_a)
    page = browser.get("/")
    assert page["Referrer-Policy"] == "strict-origin-when-cross-origin"
    token = page.context["csrf_token"]
    browser.defaults["HTTP_HOST"] = "agency.localhost"
    response = browser.post(
        "/accounts/logout/",
        {"csrfmiddlewaretoken": str(token)},
        HTTP_ORIGIN="http://alpha.agency.localhost:8000",
    )
    assert response.status_code == 302
    assert browser.get("/api/v1/me/").status_code == 401  # logged out
    # and a foreign origin is refused
    browser.force_login(world.staff_a)
    response = browser.post(
        "/accounts/logout/",
        {"csrfmiddlewaretoken": str(token)},
        HTTP_ORIGIN="http://evil.example",
    )
    assert response.status_code == 403

"""Production settings pass Django's deployment checks; every answer carries a strict
Content-Security-Policy, and the pages (and Swagger UI) hold nothing it would refuse."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client as HttpClient

from tests.conftest import api_client

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'", "agency.localhost:8000", "*.agency.localhost:8000"],
}


def test_production_settings_pass_the_deployment_checks():
    env = {
        key: value
        for key, value in os.environ.items()
        # the test run's own TLS switches (bin/test turns TLS off) must not leak in
        if not key.startswith(("SECURE_", "SESSION_COOKIE_", "DJANGO_"))
    }
    env |= {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(64)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_debug_tls_is_on_by_default():
    env = {key: value for key, value in os.environ.items() if not key.startswith("SECURE_")}
    env |= {"DEBUG": "false", "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https"}
    code = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )
    printed = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env=env | {"DJANGO_SETTINGS_MODULE": "agency.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split(maxsplit=4)
    assert printed == ["True", "31536000", "True", "True", "('HTTP_X_FORWARDED_PROTO', 'https')\n"]
    # and the tests themselves run without TLS
    assert not settings.SECURE_SSL_REDIRECT and not settings.SECURE_HSTS_SECONDS


def policy_of(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "host", "path", "status"),
    [
        ("admin", None, "/", 200),
        ("viewer_a", "alpha", "/", 200),
        ("viewer_a", "bravo", "/", 403),  # another brand's page: refused, under the policy too
        ("admin", "alpha", "/api/v1/brand/", 200),
        ("outsider", "alpha", "/api/v1/brand/", 403),
        ("admin", None, "/api/v1/clients/", 200),
        (None, None, "/accounts/login/", 200),
        (None, "nosuchbrand", "/", 404),
        (None, "nosuchbrand", "/api/v1/brand/", 404),
    ],
)
def test_every_answer_carries_the_policy(world, who, host, path, status):
    client = {"alpha": world.alpha, "bravo": world.bravo}.get(host or "")
    http = HttpClient(
        HTTP_HOST=f"{host}.{settings.BASE_DOMAIN}"
        if host and client is None
        else world.host(client)
    )
    if who is not None:
        http.force_login(getattr(world, who))
    response = http.get(path)
    assert response.status_code == status
    assert policy_of(response) == POLICY


class Inline(HTMLParser):
    """What a page holds that script-src/style-src 'self' refuse: inline scripts, <style>
    blocks, style and on* attributes; and where its scripts and stylesheets come from."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: list[str] = []
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.refused.append(f"<{tag} {name}=...>")
        if tag == "style":
            self.refused.append("<style>")
        if tag == "script":
            if named.get("src"):
                self.scripts.append(str(named["src"]))
            elif named.get("type") != "application/json":  # data, never run
                self._in_script = True
        if tag == "link" and named.get("rel") == "stylesheet":
            self.stylesheets.append(str(named["href"]))

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.refused.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def audit(response: Any) -> Inline:
    assert response.status_code == 200 or response.status_code in (403, 404)
    page = Inline()
    page.feed(response.content.decode())
    assert page.refused == []
    for url in page.scripts + page.stylesheets:
        assert not urlsplit(url).netloc, f"{url} is not from our own host"
    return page


@pytest.mark.django_db
def test_the_pages_hold_nothing_the_policy_refuses(world):
    portal = HttpClient(HTTP_HOST=world.host(None))
    for path in ("/accounts/login/", "/accounts/password/reset/"):
        audit(portal.get(path))
    portal.force_login(world.staff_a)
    page = audit(portal.get("/"))
    assert page.stylesheets == ["/static/agency/stormdesk.css"]
    assert finders.find("agency/stormdesk.css")
    audit(portal.get("/accounts/2fa/"))
    brand = HttpClient(HTTP_HOST=world.host(world.alpha))
    brand.force_login(world.staff_a)
    audit(brand.get("/"))
    brand.force_login(world.staff_b)
    audit(brand.get("/"))  # the 403 page
    audit(HttpClient(HTTP_HOST=f"nosuchbrand.{settings.BASE_DOMAIN}").get("/"))


@pytest.mark.django_db
@pytest.mark.parametrize("brand", [False, True])
def test_swagger_ui_runs_under_the_policy(world, brand):
    api = api_client(world, world.staff_a, world.alpha if brand else None)
    response = api.get("/api/schema/swagger/")
    assert policy_of(response)["script-src"] == ["'self'"]
    page = audit(response)
    assert len(page.scripts) == 3  # the bundle, its preset, and the init script
    *assets, init = page.scripts
    for url in assets + page.stylesheets:
        path = urlsplit(url).path
        assert path.startswith("/static/"), url  # served from the installed package
        assert finders.find(path.removeprefix("/static/")), url
    script = api.get(init)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
    # behind the same membership check as the schema
    assert api_client(world, world.outsider, world.alpha).get(init).status_code == 403

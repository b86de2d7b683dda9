"""Browser tests: Debian's Chromium driven by Playwright against the app served by a live
server in this process.

The server answers on the test's own database connection (as Django's live server does for an
in-memory SQLite database), so a page sees what the test wrote inside its transaction and the
test's rollback undoes what the page did: no flush, which would empty the public schema the
session's brands live in. The connection is not closed at the end of each request for that
reason. Every *.localhost name resolves to the server, so brand hosts work as in production.
Screenshots go to var/browser/ (CI keeps the folder).
"""

from __future__ import annotations

import copy
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import close_old_connections, connections
from django.test.testcases import LiveServerThread, _MediaFilesHandler

from tests.agency.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "browser"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Chromium, for one module's tests. While Playwright's event loop runs on this thread,
    Django hands the thread a connection of its own (its connections are per async context):
    the one opened before is closed first, and the one opened meanwhile at the end, so that none
    is left open (a test database cannot be dropped while one is)."""
    if not shutil.which(CHROMIUM):
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM} (bin/test installs it)"
        )
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    connections.close_all()  # (between tests: no transaction is open)
    # Django refuses database calls from a thread with a running event loop unless told that
    # this code is synchronous, which it is.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP localhost 127.0.0.1"],
            )
            yield browser
            browser.close()
            connections.close_all()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class _Server(ThreadedWSGIServer):
    def _close_connections(self) -> None:
        """Keep the test's connection open: closing it would end the test's transaction."""


class _OneAtATime:
    """The app, serving one request at a time: every request runs on the test's one database
    connection, and two at once (a page and the desk's polling) would switch its schema under
    each other. The body is read inside the lock too: a streamed answer (the CSV export) still
    reads the database while it is sent."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> list[bytes]:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


class _ServerThread(LiveServerThread):
    """Django's live server thread, except that it leaves the test's connection open when it
    stops (Django's closes every connection of the thread, which here is the test's)."""

    server_class = _Server

    def run(self) -> None:
        for alias, conn in (self.connections_override or {}).items():
            connections[alias] = conn
        try:
            handler = self.static_handler(_MediaFilesHandler(WSGIHandler()))
            self.httpd = self._create_server(  # type: ignore[attr-defined]
                connections_override=self.connections_override
            )
            if self.port == 0:
                self.port = self.httpd.server_address[1]
            self.httpd.set_app(_OneAtATime(handler))
            self.is_ready.set()
            self.httpd.serve_forever()
        except Exception as exc:
            self.error = exc  # type: ignore[assignment]
            self.is_ready.set()


class Site:
    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def site(world, settings, db) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    """The app on a free port, on this test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    wrapper = connections["default"]  # (not `connection`, a proxy that would name itself)
    wrapper.inc_thread_sharing()
    server = _ServerThread(
        "127.0.0.1", StaticFilesHandler, connections_override={"default": wrapper}, port=0
    )
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    settings.PUBLIC_PORT = str(server.port)
    # Forms may lead to the portal and the brand hosts on this port (the login's redirect to a
    # brand): the policy's form-action names them with their port, as production's does.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    base = settings.BASE_DOMAIN
    policy["DIRECTIVES"]["form-action"] += [f"{base}:{server.port}", f"*.{base}:{server.port}"]
    settings.CONTENT_SECURITY_POLICY = policy
    settings.DESK_POLL_SECONDS = 1
    try:
        yield Site(server.port)
    finally:
        server.terminate()
        wrapper.dec_thread_sharing()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def log_in(
    chromium: Any,
    site: Site,
    email: str,
    *,
    viewport: dict[str, int] = DESK,
    init_script: str | None = None,
) -> Any:
    """A new browser page, logged in on the agency host as `email`; `init_script` runs before
    each page's own scripts."""
    page = chromium.new_page(viewport=viewport)
    if init_script:
        page.add_init_script(init_script)
    page.goto(site.url("agency.localhost", "/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.wait_for_load_state("networkidle")
    return page


def shot(page: Any, name: str) -> Path:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious(page: Any) -> list[str]:
    """The page's serious and critical accessibility violations (axe), by rule id."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]


def fits(page: Any, width: int) -> bool:
    """Whether the page is no wider than `width` (no sideways scroll on a phone)."""
    return bool(page.evaluate("document.documentElement.scrollWidth") <= width)

"""What the connector tests share: a brand's pull source polled through the real polling
service, what it stored read back in the brand's schema, the platform's recorded responses
served by a local server (pytest-httpserver) as the connector's API root."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from clients import tenancy
from clients.models import Client
from monitoring.connectors.base import PullConnector
from monitoring.models import Mention, Source
from monitoring.services.polling import PollResult, source_poll, sources_due
from tests.monitoring.factories import make_source

DATA = Path(__file__).parent.parent / "data" / "connectors"


class Recordings:
    """One platform's recorded responses, in tests/monitoring/data/connectors/<platform>/: a
    body alone, or {"status", "headers", "body"}."""

    def __init__(self, platform: str) -> None:
        self.folder = DATA / platform

    def body(self, name: str) -> Any:
        return json.loads((self.folder / name).read_text())

    def response(self, name: str, **values: Any) -> Response:
        """A recorded response; its header values may name `values` ("{reset}"). Only those
        placeholders are filled in: any other braces (the JSON of Meta's usage headers) stay as
        recorded."""
        saved = self.body(name)

        def filled(value: str) -> str:
            return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], m[0])), value)

        headers = {k: filled(v) for k, v in saved["headers"].items()}
        return Response(json.dumps(saved["body"]), status=saved["status"], headers=headers)


def local_api(connector: type[PullConnector]) -> Any:
    """A fixture (named as the module names it): the local server, as `connector`'s API root."""

    @pytest.fixture
    def api(settings: Any, httpserver: HTTPServer) -> HTTPServer:
        settings.CONNECTOR_BASE_URLS = {connector.__name__.lower(): httpserver.url_for("")}
        return httpserver

    return api


def source_factory(**defaults: Any) -> Callable[..., Source]:
    """A maker of a brand's pull sources with these fields; a test's own fields replace them."""

    def make(client: Client, **fields: Any) -> Source:
        return make_source(client, **({"pull": True} | copy.deepcopy(defaults) | fields))

    return make


def poll(client: Client, source: Source, **options: Any) -> PollResult:
    with tenancy.tenant_context(client):
        return source_poll(client=client, source_id=source.pk, **options)


def reload(client: Client, source: Source) -> Source:
    with tenancy.tenant_context(client):
        return Source.objects.get(pk=source.pk)


def next_poll(client: Client, source: Source) -> datetime:
    at = reload(client, source).next_poll_at
    assert at is not None
    return at


def stored(client: Client) -> set[str]:
    """The external ids of the brand's mentions."""
    with tenancy.tenant_context(client):
        return set(Mention.objects.values_list("external_id", flat=True))


def due(client: Client) -> list[int]:
    """The brand's sources due for a poll now."""
    with tenancy.tenant_context(client):
        return sources_due(client=client)


def assert_waits(
    client: Client,
    source: Source,
    failed: PollResult,
    *,
    since: datetime,
    between: tuple[float, float],
) -> None:
    """The failure is on the source's health, counted once, and the next poll is between
    `between` seconds after `since` (exclusive): until then the source is not due."""
    source = reload(client, source)
    assert (source.last_error, source.poll_failures) == (failed.error, 1)
    earliest, latest = (since + timedelta(seconds=s) for s in between)
    assert earliest < next_poll(client, source) < latest
    assert due(client) == []

"""The real broker's default queue, read by tests in which no worker runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings


def broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def queued() -> list[dict[str, Any]]:
    """The headers of the messages waiting, newest first (Celery LPUSHes)."""
    return [json.loads(raw)["headers"] for raw in broker().lrange("celery", 0, -1)]


def sent_by(call: Callable[[], Any]) -> tuple[Any, list[dict[str, Any]]]:
    """Run `call`; return its result and the messages it queued, taken off the queue so that
    it is left as it was."""
    before = broker().llen("celery")
    result = call()
    new = queued()[: broker().llen("celery") - before]
    for _ in new:
        broker().lpop("celery")
    return result, new

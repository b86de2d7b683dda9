"""Fixtures of every connector test (helpers.py has the functions they share)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_budgets() -> None:
    """Rate budgets are counted in the cache per window: each test starts with full ones."""
    cache.clear()

"""The span of a long first-response clock, as people say it, in the page's language."""

from __future__ import annotations

from django.utils import translation

from agency.templatetags.stormdesk import span_of


def test_minutes_hours_and_days():
    with translation.override("en"):
        assert [span_of(m) for m in (None, 0, 59, 60, 125, 2879, 2880, 394_311)] == [
            "",
            "0 min",
            "59 min",
            "1 h 00 min",
            "2 h 05 min",
            "47 h 59 min",
            "2 days 0 h",
            "273 days 19 h",
        ]
    with translation.override("sv"):
        assert span_of(125) == "2 tim 05 min" and span_of(1441 * 3) == "3 dagar 0 tim"
    with translation.override("nl"):
        assert span_of(1440 * 2 + 60) == "2 dagen 1 u"

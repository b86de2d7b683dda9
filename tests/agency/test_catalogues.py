"""The Dutch and Swedish catalogues: every message translated, no guess left fuzzy, every
placeholder kept (a lost %(name)s breaks the page at run time), and the compiled .mo that
Django reads saying the same as the .po that people edit."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "agency" / "locale"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


def entries(po: Path) -> list[dict[str, object]]:
    """The .po's entries: msgid, msgid_plural, msgstr (a list: one per plural form), flags."""
    found: list[dict[str, object]] = []
    current: dict[str, object] = {}
    field = ""
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current:
                found.append(current)
            current, field = {}, ""
            continue
        if line.startswith("#,"):
            current["flags"] = line[2:].strip()
            continue
        if line.startswith("#"):
            continue
        key, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if field.startswith("msgstr"):
                strs = current.setdefault("msgstr", [])
                assert isinstance(strs, list)
                strs[-1] += value
            else:
                current[field] = str(current.get(field, "")) + value
            continue
        field = key
        value = ast.literal_eval(rest)
        if key.startswith("msgstr["):
            strs = current.setdefault("msgstr", [])
            assert isinstance(strs, list)
            strs.append(value)
        elif key == "msgstr":
            current["msgstr"] = [value]
        else:
            current[key] = value
    return [e for e in found if e.get("msgid")]  # the header has an empty msgid


@pytest.mark.parametrize("language", ["nl", "sv"])
def test_every_message_is_translated_with_its_placeholders(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    catalogue = entries(po)
    assert len(catalogue) > 300
    for entry in catalogue:
        msgid = str(entry["msgid"])
        strs = entry["msgstr"]
        assert isinstance(strs, list)
        assert "fuzzy" not in str(entry.get("flags", "")), msgid
        assert all(strs), f"untranslated: {msgid!r}"
        wanted = set(PLACEHOLDER.findall(msgid + str(entry.get("msgid_plural", ""))))
        for text in strs:
            # A singular form may leave out the count ("one hour"), never add or rename one.
            got = set(PLACEHOLDER.findall(text))
            assert got <= wanted and (got == wanted or "msgid_plural" in entry), (msgid, text)


@pytest.mark.parametrize("language", ["nl", "sv"])
def test_the_compiled_catalogue_is_the_edited_one(language):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in entries(folder / "django.po"):
        msgid, strs = str(entry["msgid"]), entry["msgstr"]
        assert isinstance(strs, list)
        if "msgid_plural" in entry:
            plural = str(entry["msgid_plural"])
            assert compiled.ngettext(msgid, plural, 1) == strs[0], msgid
            assert compiled.ngettext(msgid, plural, 5) == strs[1], msgid
        elif "msgctxt" in entry:
            assert compiled.pgettext(str(entry["msgctxt"]), msgid) == strs[0], msgid
        else:
            assert compiled.gettext(msgid) == strs[0], f"run compilemessages: {msgid!r}"

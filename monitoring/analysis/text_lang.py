"""Language of a mention: the platform's own tag when it has one, else py3langid's guess.

py3langid (BSD-3, a maintained fork of langid.py) is a naive Bayes model over byte n-grams that
ships inside the package, needs no download and classifies a tweet in ~20-40 µs. Before it sees
a text, URLs, @handles, #hashtags (mostly brand names), digits and emoji are removed: they say
nothing about the language and make short texts look like whatever language has the odd n-gram.

Short texts carry little evidence, so the choice is restricted to what is plausible:
- fewer than MIN_LETTERS letters (an emoji, "ok", a handle): no guess, ''.
- fewer than SHORT_LETTERS letters: the model's choice among every language it knows when it is
  sure of it (probability >= SURE), as for "Gracias por todo, el servicio fue excelente";
  otherwise its choice among the desk's own languages (DESK_LANGS), if that one is likely
  (>= LIKELY): "Snygg video! Bravo" is Swedish here, not the Norwegian or Lithuanian a model
  that weighs 130 languages equally leans to. Neither: '' ("Kul! Ses snart?" is as French as
  it is German or Swedish to the model).
- longer texts: the model's choice among every language it knows, so a Spanish or Polish post
  is called that and does not get a Dutch sentiment reading.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

DESK_LANGS = ("en", "nl", "sv", "de", "fr")
MIN_LETTERS = 3
SHORT_LETTERS = 40
SURE = 0.9
LIKELY = 0.5
# Enough to tell a language; py3langid's time grows with the length of what it reads.
MAX_LETTERS = 600
# Platform codes that mean "no language" (Twitter's und/zxx and its qxx pseudo-languages).
UNKNOWN_TAGS = frozenset({"", "und", "zxx", "qme", "qht", "qam", "qst", "art", "mul"})
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi"}
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+|&\w+;|\bRT\b")
_LETTERS = re.compile(r"[^\W\d_]+")


def lang_normalize(tag: str | None) -> str:
    """ISO 639-1 code from a platform's tag ('en-GB' -> 'en', 'nb' -> 'no'); '' if none."""
    if not tag:
        return ""
    code = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    if code in UNKNOWN_TAGS or not (code.isascii() and code.isalpha() and len(code) in (2, 3)):
        return ""
    return _ALIASES.get(code, code)


@cache
def _identifiers() -> tuple[Any, Any]:
    """(every language, desk languages only): one model load, two views of it."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    every = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    desk = copy.copy(every)
    desk.set_languages(list(DESK_LANGS))
    return every, desk


def lang_detect(text: str) -> str:
    """Best guess of the language of `text` as an ISO 639-1 code, '' when there is too little."""
    letters = _LETTERS.findall(_NOISE.sub(" ", text))
    count = sum(map(len, letters))
    if count < MIN_LETTERS:
        return ""
    words = " ".join(letters)[:MAX_LETTERS]
    every, desk = _identifiers()
    code, probability = every.classify(words)
    if count < SHORT_LETTERS and probability < SURE and code not in DESK_LANGS:
        code, probability = desk.classify(words)
        if probability < LIKELY:
            return ""
    return "" if code == "zxx" else _ALIASES.get(code, code)

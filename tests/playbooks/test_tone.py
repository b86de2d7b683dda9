"""Tone check of drafts (playbooks.tone): each check in en, nl and sv. Pure: no database."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbooks.tone import CODES, KINDS, PLATFORM_LIMITS, Finding, tone_check

QA = "https://acme.example/qa/outage"


def check(
    text: str,
    *,
    kind: str = "reply",
    platform: str | None = "facebook",
    language: str | None = None,
    thread_language: str | None = None,
    incident_open: bool = False,
    qa_url: str | None = None,
) -> list[Finding]:
    return tone_check(
        text,
        kind=kind,
        platform=platform,
        language=language,
        thread_language=thread_language,
        incident_open=incident_open,
        qa_url=qa_url,
    )


def found(text: str, code: str, **context: object) -> list[str]:
    """The text under each span of the findings with `code`; '' for a finding on the whole."""
    findings = check(text, **context)  # type: ignore[arg-type]
    return [text[f.span[0] : f.span[1]] if f.span else "" for f in findings if f.code == code]


def codes(text: str, **context: object) -> list[str]:
    return [f.code for f in check(text, **context)]  # type: ignore[arg-type]


def test_the_tone_check_imports_no_django():
    code = (
        "import sys, playbooks.tone; "
        "sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def test_a_finding_is_frozen_and_complete():
    (finding,) = check("That's your fault.", language="en")
    assert finding == Finding(
        code="blame",
        severity="warn",
        reason="Blames the reader ('you should have', 'your fault').",
        suggestion="Say what the brand will do instead.",
        span=(7, 17),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.code = "other"  # type: ignore[misc]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        check("We are looking into it.", kind="tweet")


# Clean, sober drafts: a holding reply, as the articles ask for. Each is checked as an X reply
# during an incident with the Q&A link required, in the thread's own language.
CLEAN = {
    "en": [
        f"We're sorry to hear this. We're looking into it and will post an update here within "
        f"the hour: {QA}",
        f"Thank you for letting us know. Our team is on it, and the latest information is on {QA}",
        f"We understand the frustration about the delays. Trains run again from 14:00; details "
        f"at {QA}",
        f"Sorry for the inconvenience. Could you send us your order number by DM? Updates: {QA}",
        f"Thanks for your patience. The app works again for most customers; see {QA} for the "
        f"latest.",
        f"You are right that this took too long, and we apologise. What we know so far: {QA}",
    ],
    "nl": [
        f"Vervelend om te horen. We zoeken het uit en plaatsen binnen een uur een update op {QA}",
        f"Bedankt voor je melding. Ons team werkt eraan; de laatste informatie staat op {QA}",
        f"We begrijpen dat de vertraging lastig is. Vanaf 14:00 rijden de treinen weer, meer op "
        f"{QA}",
        f"Sorry voor het ongemak. Wil je je ordernummer via een DM sturen? Updates: {QA}",
        f"Dank voor je geduld. De app werkt weer voor de meeste klanten; kijk op {QA}",
        f"Dat klopt, dit duurde te lang en dat spijt ons. Wat we nu weten staat op {QA}",
    ],
    "sv": [
        f"Tråkigt att höra. Vi undersöker saken och lägger upp en uppdatering här inom en timme: "
        f"{QA}",
        f"Tack för att du hör av dig. Vårt team arbetar med det, den senaste informationen finns "
        f"på {QA}",
        f"Vi förstår att förseningen är besvärlig. Tågen går igen från kl. 14, mer på {QA}",
        f"Förlåt för besväret. Kan du skicka ditt ordernummer i ett DM? Uppdateringar: {QA}",
        f"Tack för ditt tålamod. Appen fungerar igen för de flesta kunder, se {QA}",
        f"Det stämmer att det tog för lång tid, och vi ber om ursäkt. Det vi vet finns på {QA}",
    ],
}


@pytest.mark.parametrize(
    ("lang", "text"), [(lang, text) for lang, texts in CLEAN.items() for text in texts]
)
@pytest.mark.parametrize("kind", ["reply", "post"])
def test_a_sober_draft_has_no_finding(lang: str, text: str, kind: str):
    for language in (lang, None):  # given, and detected
        findings = check(
            text,
            kind=kind,
            platform="x",
            language=language,
            thread_language=lang,
            incident_open=True,
            qa_url=QA,
        )
        assert findings == []


@pytest.mark.parametrize(
    ("text", "lang", "code", "span"),
    [
        ("Calm down, we are looking into it.", "en", "confrontational", "Calm down"),
        ("That\u2019s not true: it was open.", "en", "confrontational", "That\u2019s not true"),
        ("With all due respect, the train left on time.", "en", "confrontational", None),
        ("Actually, the refund was sent on Monday.", "en", "confrontational", "Actually,"),
        ("You are   wrong about the price.", "en", "confrontational", "You are   wrong"),
        ("We did nothing wrong here.", "en", "defensive", "We did nothing wrong"),
        ("That is our policy, sorry.", "en", "defensive", "That is our policy"),
        ("You should have checked the app first.", "en", "blame", "You should have"),
        ("The delay is YOUR FAULT.", "en", "blame", "YOUR FAULT"),
        ("U heeft ongelijk, de trein reed gewoon.", "nl", "confrontational", "U heeft ongelijk"),
        ("Dat klopt niet, het pakket is bezorgd.", "nl", "confrontational", "Dat klopt niet"),
        ("Met alle respect, wij zoeken het uit.", "nl", "confrontational", "Met alle respect"),
        ("Onzin, de trein reed gewoon.", "nl", "confrontational", "Onzin"),
        (
            "Het ligt niet aan ons, de vervoerder is laat.",
            "nl",
            "defensive",
            "Het ligt niet aan ons",
        ),
        ("Dat is uw eigen schuld.", "nl", "blame", "uw eigen schuld"),
        ("Had u maar eerder gebeld.", "nl", "blame", "Had u maar"),
        ("Je had moeten wachten op de bevestiging.", "nl", "blame", "Je had moeten"),
        ("Du har fel, tåget gick i tid.", "sv", "confrontational", "Du har fel"),
        ("Det stämmer inte, paketet är levererat.", "sv", "confrontational", "Det stämmer inte"),
        ("Lugna ner dig, vi tittar på det.", "sv", "confrontational", "Lugna ner dig"),
        ("Det är inte vårt fel att det blev sent.", "sv", "defensive", "Det är inte vårt fel"),
        ("Det är ditt eget fel.", "sv", "blame", "ditt eget fel"),
        ("Du borde ha läst villkoren.", "sv", "blame", "Du borde ha"),
    ],
)
def test_confrontational_defensive_and_blaming_wording(
    text: str, lang: str, code: str, span: str | None
):
    spans = found(text, code, language=lang)
    assert spans == [span or text[: text.index(",")]]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("We are looking into what went wrong.", "en"),
        ("That is true: the store opens at 9.", "en"),
        ("We have actually fixed it now.", "en"),
        ("Our staff will stay calm and help you down the stairs.", "en"),
        ("Your feedback helps: we will check the fault on the line.", "en"),
        ("Dat klopt, we zoeken het uit.", "nl"),
        ("Dat is een onzinnige vertraging, excuses daarvoor.", "nl"),
        ("We hebben het eigenlijk al opgelost.", "nl"),
        ("U heeft gelijk, excuses.", "nl"),
        ("Det stämmer, vi undersöker det.", "sv"),
        ("Du har rätt, vi ber om ursäkt.", "sv"),
        ("Felet ligger hos oss och vi rättar det.", "sv"),
    ],
)
def test_sober_wording_is_not_confrontational(text: str, lang: str):
    assert {"confrontational", "defensive", "blame"}.isdisjoint(codes(text, language=lang))


def test_wording_of_a_short_draft_is_checked_in_every_language():
    # Too short to detect the language reliably: every language's lists apply.
    assert found("Jaja, lugna dig.", "confrontational") == ["lugna dig"]
    assert found("Calm down.", "confrontational") == ["Calm down"]


@pytest.mark.parametrize(
    ("text", "lang", "span"),
    [
        ("Yeah right, the app works fine for us.", "en", "Yeah right"),
        ("Nice try, but the offer ended yesterday.", "en", "Nice try"),
        ("Oh sure, we will get right on that.", "en", "Oh sure"),
        ("We will look at your so-called problem.", "en", "so-called"),
        ("We read your 'complaint' and will answer it.", "en", "'complaint'"),
        ("We fixed it. 🙄", "en", "🙄"),
        ("Great service as always /s", "en", "/s"),
        ("Ja hoor, we gaan er meteen mee aan de slag.", "nl", "Ja hoor"),
        ("Jaja, we hebben het gehoord.", "nl", "Jaja"),
        ("We kijken naar uw „probleem” en melden ons.", "nl", "„probleem”"),
        ("Visst... vi ska titta på det.", "sv", "Visst..."),
        ("Jo tjena, det ordnar vi direkt.", "sv", "Jo tjena"),
        ("Vi tittar på ditt så kallade problem.", "sv", "så kallade"),
        ("Vi har läst ditt ”klagomål” och svarar snart.", "sv", "”klagomål”"),
    ],
)
def test_sarcasm_markers(text: str, lang: str, span: str):
    assert found(text, "sarcasm", language=lang) == [span]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Sure, we can help with that. See https://acme.example/s/123", "en"),
        ("Tap 'Settings' and then 'Notifications' to turn it off.", "en"),
        ("We're sorry, it's fixed now.", "en"),
        ("Ja, we helpen je graag verder.", "nl"),
        ("Kijk bij 'Instellingen' voor je foto's.", "nl"),
        ("Visst kan vi hjälpa dig med det.", "sv"),
        ("Ja, vi har fått ditt meddelande.", "sv"),
    ],
)
def test_plain_words_are_not_sarcasm(text: str, lang: str):
    assert "sarcasm" not in codes(text, language=lang)


@pytest.mark.parametrize(
    ("text", "lang", "span"),
    [
        ("This is a disgrace, a total disaster, we hate it.", "en", "disaster"),
        ("Wat een afschuwelijke ramp, echt verschrikkelijk.", "nl", "afschuwelijke"),
        ("Det här är en skandal, helt katastrofalt och vidrigt.", "sv", "katastrofalt"),
    ],
)
def test_emotional_rather_than_factual(text: str, lang: str, span: str):
    assert found(text, "emotional", language=lang) == [span]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The disruption started at 09:40; 120 flights are delayed.", "en"),
        ("De storing begon om 09:40; 120 vluchten hebben vertraging.", "nl"),
        ("Störningen började 09.40; 120 flyg är försenade.", "sv"),
    ],
)
def test_a_factual_report_is_not_emotional(text: str, lang: str):
    assert codes(text, language=lang) == []


def test_exclamation_marks_are_their_own_finding_not_emotion():
    text = "We're on it!! Update at 14:00."
    assert codes(text, language="en") == ["exclamations"]
    assert found(text, "exclamations", language="en") == ["!!"]


@pytest.mark.parametrize(
    ("text", "lang", "span"),
    [
        ("Thanks! We are on it! Update at 14:00.", "en", (20, 21)),
        ("Bedankt! We zijn ermee bezig!", "nl", (28, 29)),
        ("Tack!!! Vi jobbar på det.", "sv", (4, 7)),
    ],
)
def test_more_than_one_exclamation_mark(text: str, lang: str, span: tuple[int, int]):
    (finding,) = [f for f in check(text, language=lang) if f.code == "exclamations"]
    assert finding.span == span


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Thanks! We are on it.", "en"), ("Bedankt! We zijn ermee bezig.", "nl"), ("Tack!", "sv")],
)
def test_one_exclamation_mark_is_fine(text: str, lang: str):
    assert "exclamations" not in codes(text, language=lang)


@pytest.mark.parametrize(
    ("text", "lang", "span"),
    [
        ("We are WORKING VERY HARD on it.", "en", "WORKING VERY HARD"),
        ("Thanks. PLEASE READ THE UPDATE. More soon.", "en", "PLEASE READ THE UPDATE."),
        ("We ZIJN ER HEEL HARD mee bezig.", "nl", "ZIJN ER HEEL HARD"),
        ("LEES DE UPDATE. Meer volgt.", "nl", "LEES DE UPDATE."),
        ("Vi JOBBAR MED DET och återkommer.", "sv", "JOBBAR MED DET"),
        ("LÄS UPPDATERINGEN! Mer kommer.", "sv", "LÄS UPPDATERINGEN!"),
    ],
)
def test_words_in_capitals(text: str, lang: str, span: str):
    assert found(text, "caps", language=lang) == [span]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The FAQ and the Q&A page have the CEO's statement for the EU and the USA.", "en"),
        ("We are working VERY hard on it, truly.", "en"),
        ("Bekijk de FAQ: KPN, NS en ING werken samen met de RIVM.", "nl"),
        ("Läs mer hos SVT, SAS och IKEA.", "sv"),
        ("Thanks @KLMNEWS, see HTTPS://ACME.EXAMPLE/QA for all.", "en"),
        ("OK.", "en"),
    ],
)
def test_acronyms_and_a_word_or_two_in_capitals_are_fine(text: str, lang: str):
    assert "caps" not in codes(text, language=lang)


@pytest.mark.parametrize(
    ("platform", "kind", "limit"),
    [
        ("x", "reply", 280),
        ("bluesky", "post", 300),
        ("mastodon", "reply", 500),
        ("instagram", "post", 2200),
        ("tiktok", "reply", 2200),
        ("linkedin", "reply", 1250),
        ("linkedin", "post", 3000),
        ("facebook", "post", 8000),
        ("youtube", "reply", 10000),
    ],
)
def test_too_long_for_the_platform_blocks(platform: str, kind: str, limit: int):
    fits = "a" * limit
    assert check(fits, kind=kind, platform=platform, language="en") == []
    (finding,) = check(fits + "b", kind=kind, platform=platform, language="en")
    assert (finding.code, finding.severity, finding.span) == (
        "too_long",
        "block",
        (limit, limit + 1),
    )
    assert f"{limit + 1} characters, the limit is {limit}" in finding.reason


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("We're sorry to hear this. We're looking into it and will post an update here. ", "en"),
        ("Vervelend om te horen. We zoeken het uit en plaatsen hier een update. ", "nl"),
        ("Tråkigt att höra. Vi undersöker saken och lägger upp en uppdatering här. ", "sv"),
    ],
)
def test_x_counts_a_link_as_23_characters(text: str, lang: str):
    long_link = "https://acme.example/qa/" + "storing-" * 30
    fill = " " * (280 - len(text) - 23)
    assert check(text + fill + long_link, platform="x", language=lang) == []
    over = text + fill + "x" + long_link
    (finding,) = check(over, platform="x", language=lang)
    assert finding.code == "too_long"
    assert finding.span == (len(text + fill + "x"), len(over))  # the link no longer fits


def test_length_is_not_checked_off_the_platforms():
    long_text = "The service is restored. " * 1000
    assert check(long_text, kind="qa", platform=None, language="en") == []
    assert check(long_text, kind="notice", platform="news", language="en") == []


@pytest.mark.parametrize("lang", ["en", "nl", "sv"])
def test_during_an_incident_a_reply_or_post_links_the_qa_page(lang: str):
    text = CLEAN[lang][0].replace(QA, "").rstrip(": ")
    for kind in ("reply", "post"):
        assert codes(text, kind=kind, language=lang, incident_open=True, qa_url=QA) == [
            "no_qa_link"
        ]
        (finding,) = check(text, kind=kind, language=lang, incident_open=True, qa_url=QA)
        assert finding.severity == "warn"
    with_link = f"{text} http://acme.example/QA/outage/"
    assert check(with_link, language=lang, incident_open=True, qa_url=QA) == []
    assert check(text, language=lang, incident_open=False, qa_url=QA) == []
    assert check(text, language=lang, incident_open=True, qa_url=None) == []
    assert check(text, kind="notice", language=lang, incident_open=True, qa_url=QA) == []
    assert check(text, kind="qa", language=lang, incident_open=True, qa_url=QA) == []


@pytest.mark.parametrize(
    ("text", "thread", "draft"),
    [
        ("We're sorry to hear this and are looking into it right now.", "nl", "en"),
        ("Vervelend om te horen, we zoeken het op dit moment uit.", "sv", "nl"),
        ("Tråkigt att höra, vi undersöker saken just nu.", "en", "sv"),
    ],
)
def test_a_different_language_than_the_thread(text: str, thread: str, draft: str):
    (finding,) = check(text, thread_language=thread)
    assert (finding.code, finding.span) == ("language", None)
    assert f"({draft})" in finding.reason and f"({thread})" in finding.reason
    assert check(text, thread_language=draft) == []
    assert check(text, thread_language=f"{draft}-GB") == []
    # The caller's language is trusted over detection.
    assert codes(text, language=thread, thread_language=thread) == []


@pytest.mark.parametrize(
    ("text", "thread"), [("Thanks, on it.", "nl"), ("Dank, mee bezig.", "sv"), ("Tack!", "en")]
)
def test_the_language_of_a_very_short_draft_is_not_guessed(text: str, thread: str):
    assert "language" not in codes(text, thread_language=thread)
    assert codes(text, language="de", thread_language=thread) == ["language"]


@pytest.mark.parametrize(
    ("text", "lang", "second"),
    [
        ("Which order is it? And when did you order?", "en", "And when did you order?"),
        ("Welke bestelling is het? Wanneer heb je besteld?", "nl", "Wanneer heb je besteld?"),
        ("Vilken beställning gäller det? När beställde du?", "sv", "När beställde du?"),
    ],
)
def test_a_reply_asks_one_question_at_most(text: str, lang: str, second: str):
    assert found(text, "questions", language=lang) == [second]
    first = text[: text.index("?") + 1]
    assert check(first, language=lang) == []
    # An own post may ask its readers more than once.
    assert check(text, kind="post", language=lang) == []


@pytest.mark.parametrize(
    ("text", "lang", "fourth"),
    [
        (
            "We are sorry. The trains stopped at 9, e.g. in Utrecht. Staff are on site. "
            "Buses run instead. Updates follow.",
            "en",
            "Buses run instead. Updates follow.",
        ),
        (
            "Het spijt ons. De treinen stopten om 9 uur, bijv. in Utrecht. Er is personeel. "
            "Er rijden bussen.",
            "nl",
            "Er rijden bussen.",
        ),
        (
            "Vi ber om ursäkt. Tågen stannade kl. 9, t.ex. i Uppsala. Personal finns på plats. "
            "Bussar ersätter tågen.",
            "sv",
            "Bussar ersätter tågen.",
        ),
    ],
)
def test_a_reply_on_x_is_not_detailed(text: str, lang: str, fourth: str):
    assert found(text, "too_detailed", platform="x", language=lang) == [fourth]
    three = text[: text.index(fourth)].strip()
    assert check(three, platform="x", language=lang) == []
    # Longer answers are fine where the platform is made for them, and in an own post.
    assert check(text, platform="facebook", language=lang) == []
    assert check(text, kind="post", platform="x", language=lang) == []


def test_a_sign_off_and_a_lone_link_are_no_sentences():
    text = f"We are sorry.\nThe app is down.\nA fix is coming.\n{QA}\n^AB"
    assert check(text, platform="x", language="en") == []


def test_blocks_come_first_then_the_order_of_the_text():
    text = "Calm down!! " + "More later. " * 24 + "That is your fault."
    findings = check(text, kind="post", platform="x", language="en")
    assert [f.code for f in findings] == ["too_long", "confrontational", "exclamations", "blame"]


def test_findings_on_a_hostile_draft():
    text = "Calm down, that's not true!! It's YOUR OWN FAULT, you should have read our post 🙄"
    assert codes(text, platform="x", language="en", incident_open=True, qa_url=QA) == [
        "confrontational",
        "confrontational",
        "exclamations",
        "blame",
        "caps",
        "blame",
        "confrontational",
        "sarcasm",
        "no_qa_link",
    ]


def test_an_empty_draft_has_no_finding():
    assert check("", language="en") == []
    assert check("  \n ", thread_language="en", incident_open=True, qa_url=QA) == []


PLATFORMS = st.sampled_from([*PLATFORM_LIMITS, "news", "other", "", None]) | st.text(max_size=5)
LANGUAGES = st.sampled_from(["en", "nl", "sv", "de", "en-GB", "und", "", None]) | st.text(
    max_size=6
)
WORDS = st.sampled_from(
    [
        "calm down",
        "Dat klopt niet",
        "ditt eget fel",
        "YOUR FAULT",
        "/s",
        "🙄",
        "'so'",
        "!!",
        "?",
        ". ",
        "\n",
        QA,
        "e.g.",
        "İ",
        "ß",
        "visst...",
    ]
)
TEXTS = st.text() | st.lists(st.text(max_size=8) | WORDS, max_size=40).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=TEXTS,
    kind=st.sampled_from(sorted(KINDS)),
    platform=PLATFORMS,
    language=LANGUAGES,
    thread_language=LANGUAGES,
    incident_open=st.booleans(),
    qa_url=st.sampled_from([QA, "", None]) | st.text(max_size=10),
)
def test_any_text_gives_well_formed_findings(
    text: str,
    kind: str,
    platform: str | None,
    language: str | None,
    thread_language: str | None,
    incident_open: bool,
    qa_url: str | None,
):
    findings = tone_check(
        text,
        kind=kind,
        platform=platform,
        language=language,
        thread_language=thread_language,
        incident_open=incident_open,
        qa_url=qa_url,
    )
    for finding in findings:
        assert finding.code in CODES
        assert finding.severity == ("block" if finding.code == "too_long" else "warn")
        assert finding.reason and finding.suggestion
        if finding.span is not None:
            start, end = finding.span
            assert 0 <= start < end <= len(text)

"""Text analysis: language, sentiment, complaint cues, tone. Pure computation: no database."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.analysis.text import TextAnalysis, text_analyze, text_explain, texts_analyze
from monitoring.analysis.text_lang import lang_detect, lang_normalize

SENTIMENT_DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "sentiment"


def analyze(text: str, lang: str | None = None) -> TextAnalysis:
    return text_analyze(text, lang=lang)


def test_the_analysis_imports_no_django():
    code = (
        "import sys, monitoring.analysis.text; "
        "sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[3]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def test_result_shape():
    result = analyze("I love this!")
    assert result == TextAnalysis(
        lang="en",
        sentiment="pos",
        score=result.score,
        emotional=result.emotional,
        emotion=result.emotion,
        complaint=False,
    )
    assert 0.05 <= result.score <= 1.0
    assert 0.0 <= result.emotion <= 1.0


@pytest.mark.parametrize(
    ("text", "lang", "sentiment"),
    [
        ("Great service, thank you so much!", "en", "pos"),
        ("This is the worst airline ever, total rubbish", "en", "neg"),
        ("The store opens at 9 on Monday.", "en", "neu"),
        ("Super blij met mijn nieuwe telefoon, echt een aanrader", "nl", "pos"),
        ("Wat een slechte service, heel teleurstellend", "nl", "neg"),
        ("De winkel is op maandag om 9 uur open.", "nl", "neu"),
        ("Tack för snabb hjälp, jättebra service", "sv", "pos"),
        ("Värdelös kundtjänst, riktigt dålig upplevelse", "sv", "neg"),
        ("Butiken öppnar klockan 9 på måndag.", "sv", "neu"),
        ("Toller Service, vielen Dank!", "de", "pos"),
        ("Eine Frechheit, ich bin sehr enttäuscht", "de", "neg"),
        ("Merci pour votre aide, service génial", "fr", "pos"),
        ("Service nul, quelle déception", "fr", "neg"),
    ],
)
def test_sentiment_per_language(text: str, lang: str, sentiment: str):
    result = analyze(text, lang)
    assert result.sentiment == sentiment, (result, text_explain(text, lang=lang))


@pytest.mark.parametrize(
    ("positive", "negated", "lang"),
    [
        ("the food was good", "the food was not good", "en"),
        ("het eten was lekker", "het eten was niet lekker", "nl"),
        ("maten var god", "maten var inte god", "sv"),
    ],
)
def test_negation_flips(positive: str, negated: str, lang: str):
    assert analyze(positive, lang).sentiment == "pos"
    assert analyze(negated, lang).sentiment == "neg"


def test_negation_stays_in_its_clause():
    # "not" belongs to "delayed"; the crew is still great.
    assert analyze("My flight was not delayed, great crew!", "en").sentiment == "pos"


def test_boosters_compounds_and_stretched_words_strengthen():
    assert analyze("very good", "en").score > analyze("good", "en").score
    assert analyze("jättebra", "sv").score > analyze("bra", "sv").score
    assert analyze("superleuk", "nl").score > 0.05
    assert analyze("sooo good", "en").sentiment == "pos"


def test_but_weighs_what_follows():
    assert analyze("The food was good but the service was terrible", "en").sentiment == "neg"
    assert analyze("Maten var god men servicen var usel", "sv").sentiment == "neg"
    assert analyze("Het eten was slecht maar de bediening was geweldig", "nl").sentiment == "pos"


def test_emoji_carry_sentiment_in_any_language():
    assert analyze("😍😍", "sv").sentiment == "pos"
    assert analyze("😡", "nl").sentiment == "neg"
    assert analyze("🇸🇪", "sv").sentiment == "neu"  # a flag is no opinion


# --- complaint cues: neutral words, negative meaning ------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("my flight is delayed 3 hours", "en"),
        ("Still no answer from customer service after 2 weeks", "en"),
        ("I want my refund, order 12345 was cancelled", "en"),
        ("Package still hasn't arrived", "en"),
        ("mijn pakket is al een week niet geleverd", "nl"),
        ("De trein is weer vertraagd", "nl"),
        ("Nog steeds geen antwoord van de klantenservice", "nl"),
        ("jag har väntat i två veckor på min beställning", "sv"),
        ("Tåget är försenat igen", "sv"),
        ("Min order har fortfarande inte kommit", "sv"),
        ("Mein Paket ist immer noch nicht angekommen", "de"),
        ("Mon colis n'est toujours pas arrivé", "fr"),
    ],
)
def test_complaint_cues_make_neutral_reports_negative(text: str, lang: str):
    result = analyze(text, lang)
    assert result.complaint, text
    assert result.sentiment == "neg", (result, text_explain(text, lang=lang))


def test_complaint_cues_are_explained():
    items = text_explain("my flight is delayed 3 hours", lang="en")
    assert items == [("delayed", -2.0)]


def test_a_negated_cue_is_no_complaint():
    assert not analyze("Good news: the flight is not delayed", "en").complaint


def test_praise_outweighs_a_cue_after_but():
    result = analyze("Flight delayed but the crew was lovely", "en")
    assert result.complaint
    assert result.sentiment == "pos"


def test_no_complaint_in_plain_praise_or_facts():
    for text, lang in [
        ("The package arrived on Tuesday at 14:00.", "en"),
        ("Het pakket is vandaag om 10:00 bezorgd.", "nl"),
        ("Beställningen levererades i dag kl 14.", "sv"),
    ]:
        result = analyze(text, lang)
        assert not result.complaint, text
        assert result.sentiment == "neu", (result, text_explain(text, lang=lang))


# --- tone: emotional versus factual ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("You guys are USELESS!!! Worst airline ever 😡", "en"),
        ("I love this app so much!!! 😍😍", "en"),
        ("WHERE IS MY REFUND", "en"),
        ("Wat een kutbedrijf, jullie zijn echt waardeloos!!", "nl"),
        ("Zooo blij met jullie, echt geweldig!", "nl"),
        ("Fy fan vad ni är usla!!! Aldrig mer", "sv"),
        ("Ni är helt värdelösa, skämmes!!", "sv"),
        ("Tack så jättemycket, ni är bäst ❤️❤️", "sv"),
    ],
)
def test_emotional(text: str, lang: str):
    result = analyze(text, lang)
    assert result.emotional, result


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("my flight is delayed 3 hours", "en"),
        ("Order 4471 was delivered on 12 March at 10:40.", "en"),
        ("IKEA opens a new store in Utrecht on 1 June", "en"),
        ("mijn pakket is al een week niet geleverd", "nl"),
        ("De trein van 8:15 naar Utrecht rijdt vandaag niet.", "nl"),
        ("jag har väntat i två veckor på min beställning", "sv"),
        ("Beställningen levererades i dag kl 14.", "sv"),
    ],
)
def test_factual(text: str, lang: str):
    result = analyze(text, lang)
    assert not result.emotional, result


def test_an_accusation_in_the_second_person_is_more_emotional():
    accusing = analyze("You ruined my holiday", "en")
    reporting = analyze("The holiday was ruined", "en")
    assert accusing.emotion > reporting.emotion


# --- language --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Thanks a lot for the quick help", "en"),
        ("Bedankt voor de snelle hulp", "nl"),
        ("Tack för hjälpen", "sv"),
        ("Snygg video! Bravo", "sv"),
        ("Grattis i efterskott", "sv"),
        ("Danke schön", "de"),
        ("Merci beaucoup", "fr"),
        ("Gracias por todo, el servicio fue excelente", "es"),
        ("Mijn pakket is al een week niet geleverd, wat een slechte service van jullie", "nl"),
    ],
)
def test_language_of_short_texts(text: str, lang: str):
    assert lang_detect(text) == lang


@pytest.mark.parametrize(
    "text", ["", "ok", "😂😂😂", "@klm http://t.co/x #fail", "12:45 !!", "Kul! Ses snart?"]
)
def test_too_little_to_tell_is_unknown(text: str):
    assert lang_detect(text) == ""


def test_platform_language_is_trusted():
    # German words, but the platform says Dutch: Dutch rules it is.
    assert analyze("Die Lieferung ist gut", "nl").lang == "nl"
    assert analyze("Tack", "sv").sentiment == "pos"


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("en-GB", "en"),
        ("SV", "sv"),
        ("nb", "no"),
        ("fil", "fil"),
        ("und", ""),
        ("zxx", ""),
        ("english", ""),
        (None, ""),
        ("", ""),
    ],
)
def test_platform_tags_are_normalised(tag: str | None, code: str):
    assert lang_normalize(tag) == code


def test_unknown_language_still_reads_emoji():
    result = analyze("😍")
    assert result.lang == ""
    assert result.sentiment == "pos"


def test_language_without_lexicon_reads_only_what_carries_across():
    assert analyze("Gracias, excelente ❤️", "es").sentiment == "pos"
    assert analyze("Excelente", "es").sentiment == "neu"


def test_odd_input_is_harmless():
    assert analyze("\x01" + "0 \x01x good", "en").sentiment == "pos"
    assert analyze("", "en").sentiment == "neu"
    assert analyze("   \n ", None).lang == ""
    assert analyze("İstanbul İSTANBUL delayed", "en").complaint  # lower() changes the length


def test_batch_matches_single():
    texts = ["I love it", "Tåget är försenat", "Het boek is saai", "😡"]
    langs = [None, "sv", None, None]
    assert texts_analyze(texts, langs) == [
        text_analyze(t, lang=g) for t, g in zip(texts, langs, strict=True)
    ]
    assert texts_analyze(texts) == [text_analyze(t) for t in texts]


def test_batch_needs_a_language_slot_per_text():
    with pytest.raises(ValueError):
        texts_analyze(["a", "b"], ["en"])


# --- reproducibility on the shared evaluation sets --------------------------------------------


def _labelled(name: str) -> list[tuple[str, str]]:
    path = SENTIMENT_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["label"], row["text"]) for row in csv.DictReader(handle)]


@pytest.mark.parametrize(
    ("name", "lang"),
    [("en-tweets-vader.csv", "en"), ("sv-tweets.csv", "sv"), ("nl-bol-reviews.csv", "nl")],
)
def test_positive_versus_negative_accuracy_floor(name: str, lang: str):
    """A guard against regressions, not a target: bench/text.py measures (>= 0.80 measured)."""
    rows = [(label, text) for label, text in _labelled(name) if label in ("pos", "neg")]
    results = texts_analyze([text for _, text in rows], [lang] * len(rows))
    right = sum(label == r.sentiment for (label, _), r in zip(rows, results, strict=True))
    assert right / len(rows) >= 0.78

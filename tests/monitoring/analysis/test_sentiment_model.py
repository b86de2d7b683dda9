"""The trained sentiment model as shipped: loads from the repository, scores clear cases right."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from monitoring.analysis.sentiment_model import (
    POSITIVE_AT,
    WEIGHTS_FILE,
    FeatureConfig,
    dense_features,
    hashed_features,
    load_model,
    model_polarity,
    normalize,
    shipped_model,
)

ROOT = Path(__file__).resolve().parents[3]
# The first increment's known miss (issue 15): no training source has sarcasm, and the praise
# words outweigh the complaint cue (P = 0.55). strict: the day it passes, this marker must go.
SARCASM_MISS = pytest.mark.xfail(
    strict=True, reason="sarcasm: no training data has it; 'Great' outweighs 'delay'"
)


def polarity(text: str, lang: str) -> float:
    return model_polarity([text], [lang])[0]


def test_weights_ship_in_the_repository_and_load_once() -> None:
    assert WEIGHTS_FILE.is_relative_to(ROOT / "monitoring" / "analysis" / "model")
    assert WEIGHTS_FILE.stat().st_size < 20_000_000
    assert (WEIGHTS_FILE.parent / "SOURCES.md").is_file()
    model = shipped_model()
    assert shipped_model() is model
    assert model.hashed.shape == (model.config.buckets,)
    assert model.dense.shape == (model.config.dense_width,)
    assert set(model.afinn) >= {"en", "nl", "sv"}
    assert set(model.vader) == {"en", "sv"}
    assert model.vader["sv"]["bra"] > 0 > model.vader["sv"]["dålig"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Great coffee, thanks!", "en"),
        ("Love the new update, works perfectly 😍", "en"),
        ("Wat een fijne service, binnen een dag geleverd. Top!", "nl"),
        ("Supergoed boek, echt een aanrader", "nl"),
        ("Tack för snabb leverans, riktigt bra service!", "sv"),
        ("Älskar det nya kaffet, så gott 😊", "sv"),
    ],
)
def test_clear_praise_is_positive(text: str, lang: str) -> None:
    assert polarity(text, lang) >= POSITIVE_AT


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        pytest.param("Great, another delay. Thanks for nothing", "en", marks=SARCASM_MISS),
        ("My order still hasn't arrived and nobody answers the phone", "en"),
        ("Worst customer service ever. Never again.", "en"),
        ("Mijn pakket is al een week niet geleverd en de klantenservice reageert niet", "nl"),
        ("Slechtste klantenservice ooit, ik wacht nog steeds op mijn geld terug", "nl"),
        ("Het product was na twee dagen kapot. Nooit meer!", "nl"),
        ("Företaget säljer skräp och struntar i sina kunder. Undvik!", "sv"),
        ("Jag har väntat i två veckor på min beställning och ingen svarar", "sv"),
    ],
)
def test_clear_complaints_are_negative(text: str, lang: str) -> None:
    assert polarity(text, lang) < POSITIVE_AT


def test_sarcasm_reads_below_sincere_praise() -> None:
    # What the model does get: the complaint cue and "for nothing" pull the sarcastic post far
    # below the sincere one, if not yet below the line (see SARCASM_MISS).
    sarcastic = polarity("Great, another delay. Thanks for nothing", "en")
    sincere = polarity("Great coffee, thanks!", "en")
    assert sarcastic < sincere - 0.3
    assert polarity("Thanks for nothing", "en") < POSITIVE_AT < polarity("Thanks!", "en")


def test_deterministic_and_in_range() -> None:
    texts = ["Great coffee, thanks!", "Mijn pakket is niet geleverd", "Undvik!"]
    langs = ["en", "nl", "sv"]
    first = model_polarity(texts, langs)
    assert first == model_polarity(texts, langs)
    assert all(0.0 <= p <= 1.0 for p in first)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😂😂😂",
        "😡",
        "!!!",
        "https://example.com/x @someone",
        "slow " * 5000,
        "x" * 50_000,
        "\x00\x01 ünïcødé ß \U0001d518",
    ],
)
def test_odd_texts_get_a_probability(text: str) -> None:
    for lang in ("en", "nl", "sv", "", "es"):
        p = polarity(text, lang)
        assert 0.0 <= p <= 1.0


def test_angry_emoji_alone_leans_negative_and_laughing_positive() -> None:
    assert polarity("😡😡", "sv") < polarity("😍😍", "sv")


def test_empty_input_gives_empty_output() -> None:
    assert model_polarity([], []) == []
    with pytest.raises(ValueError):
        model_polarity(["one"], [])


def test_normalize_replaces_urls_handles_digits_and_stretching() -> None:
    assert (
        normalize("@KLM Sooo LATE: 3 hours!! https://t.co/x") == "_user_ soo late: 0 hours!! _url_"
    )
    assert normalize("Fish &amp; chips") == "fish & chips"


def test_language_prefix_separates_the_same_word_in_two_languages() -> None:
    config = FeatureConfig(prefix="lang")
    en, _ = hashed_features("bra", "en", config)
    sv, _ = hashed_features("bra", "sv", config)
    assert set(en.tolist()).isdisjoint(sv.tolist()) or len(set(en.tolist()) & set(sv.tolist())) < 2
    shared = FeatureConfig(prefix="none")
    assert hashed_features("bra", "en", shared)[0].tolist() == (
        hashed_features("bra", "sv", shared)[0].tolist()
    )


def test_blocks_are_l2_normalised() -> None:
    config = FeatureConfig(prefix="lang", words=True, chars=True)
    indices, values = hashed_features("Great coffee, thanks!", "en", config)
    assert len(indices) == len(values) > 10
    assert float(np.sum(values**2)) == pytest.approx(2.0)  # two blocks of unit length


def test_dense_features_see_the_complaint_cue() -> None:
    plain = dense_features("The coffee was served at noon", "en", None, None)
    complaint = dense_features("My flight is delayed 3 hours", "en", None, None)
    assert complaint[5] == 1.0 and plain[5] == 0.0


_CHILD = """
import sys
from monitoring.analysis.sentiment_model import FeatureConfig, hashed_features, model_polarity
config = FeatureConfig(prefix="both")
idx, _ = hashed_features("Jag har väntat i två veckor 😡 @SJ", "sv", config)
print(",".join(map(str, idx.tolist())))
print(repr(model_polarity(["Great, another delay. Thanks for nothing"], ["en"])[0]))
"""


def test_hashing_is_stable_across_processes() -> None:
    runs = []
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD],
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(done.stdout)
    assert runs[0] == runs[1]
    config = FeatureConfig(prefix="both")
    here, _ = hashed_features("Jag har väntat i två veckor 😡 @SJ", "sv", config)
    assert runs[0].splitlines()[0] == ",".join(map(str, here.tolist()))


def test_the_file_round_trips(tmp_path: Path) -> None:
    from monitoring.analysis.sentiment_model import save_model

    model = shipped_model()
    copy = tmp_path / "copy.npz"
    save_model(copy, model)
    again = load_model(copy)
    assert again.config == model.config
    assert np.array_equal(again.hashed, model.hashed)
    assert copy.read_bytes() == WEIGHTS_FILE.read_bytes()

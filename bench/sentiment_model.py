"""Benchmark: the trained sentiment model (monitoring.analysis.sentiment_model) on held-out rows.

    .venv/bin/python bench/sentiment_model.py

Balanced pos-vs-neg accuracy: of the rows labelled pos or neg (neutral rows left out), the mean
of the recall on positives and the recall on negatives; a neutral answer counts as wrong (the
lexicon analyser has a neutral band, the model none). Per language, on rows the model never
saw in training or tuning:
- en: the odd rows of en-tweets-vader.csv (its even rows are training data, as the same VADER
  tweets shipped in the vaderSentiment sdist);
- nl: the odd rows of nl-bol-reviews.csv (the even rows are training data);
- sv: sv-tweets.csv, odd rows and all rows: the set is evaluation-only, never trained on.
Beside each, the lexicon analyser (`text_analyze`, language given) on the same rows.

Speed on ONE core (pinned): mentions per second for the lexicon analyser and the model
together over the 6,568 tweets of the English and Swedish sets, best of 3, language given and
detected. Target >= 2,000 mentions/s.

Needs no database; writes its section of bench/RESULTS.md; the last line is key=value.
"""

from __future__ import annotations

import os

from common import ROOT, best_rate, publish_text_figures
from text import load

from monitoring.analysis.sentiment_model import (
    POSITIVE_AT,
    WEIGHTS_FILE,
    model_polarity,
    shipped_model,
)
from monitoring.analysis.text import text_analyze, texts_analyze

SETS = (("en", "en-tweets-vader.csv"), ("nl", "nl-bol-reviews.csv"), ("sv", "sv-tweets.csv"))
PASSES = 3
TARGET = 0.85


def balanced(labels: list[str], answers: list[str]) -> tuple[float, float, float, int]:
    """(balanced pos-vs-neg accuracy, recall pos, recall neg, polar rows)."""
    polar = [(label, got) for label, got in zip(labels, answers, strict=True) if label != "neu"]
    recall = {}
    for c in ("pos", "neg"):
        mine = [got for label, got in polar if label == c]
        recall[c] = sum(got == c for got in mine) / max(1, len(mine))
    return (recall["pos"] + recall["neg"]) / 2, recall["pos"], recall["neg"], len(polar)


def enrich(texts: list[str], langs: list[str] | None) -> list[float]:
    """What the worker would run per mention: the lexicon analysis, then the model."""
    analyses = texts_analyze(texts, langs)
    return model_polarity(texts, [a.lang for a in analyses])


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    model = shipped_model()
    data = {lang: load(name) for lang, name in SETS}
    halves: dict[str, tuple[tuple[str, int | None], ...]] = {
        "en": (("odd (held out)", 1),),
        "nl": (("odd (held out)", 1),),
        "sv": (("odd (held out)", 1), ("all (never trained on)", None)),
    }
    lines = [
        "| set | rows | polar | model balanced | recall pos | recall neg "
        "| lexicon balanced | recall pos | recall neg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    figures: dict[str, float] = {}
    for lang, rows in data.items():
        for half, keep in halves[lang]:
            sub = [r for i, r in enumerate(rows) if keep is None or i % 2 == keep]
            labels = [label for label, _ in sub]
            texts = [text for _, text in sub]
            probabilities = model_polarity(texts, [lang] * len(texts))
            model_answers = ["pos" if p >= POSITIVE_AT else "neg" for p in probabilities]
            lexicon_answers = [text_analyze(t, lang=lang).sentiment for t in texts]
            m, mp, mn, polar = balanced(labels, model_answers)
            x, xp, xn, _ = balanced(labels, lexicon_answers)
            lines.append(
                f"| {lang}, {half} | {len(sub):,} | {polar:,} | **{m:.3f}** | {mp:.3f} | {mn:.3f} "
                f"| {x:.3f} | {xp:.3f} | {xn:.3f} |"
            )
            suffix = "" if keep == 1 else "_all"
            figures[f"{lang}_model{suffix}"] = round(m, 3)
            figures[f"{lang}_lexicon{suffix}"] = round(x, 3)

    tweets = [t for _, t in data["en"] + data["sv"]]
    tweet_langs = ["en"] * len(data["en"]) + ["sv"] * len(data["sv"])
    reviews = [t for _, t in data["nl"]]
    rate_given = best_rate(lambda: enrich(tweets, tweet_langs), len(tweets), PASSES)
    rate_detected = best_rate(lambda: enrich(tweets, None), len(tweets), PASSES)
    rate_model = best_rate(lambda: model_polarity(tweets, tweet_langs), len(tweets), PASSES)
    rate_reviews = best_rate(lambda: enrich(reviews, ["nl"] * len(reviews)), len(reviews), PASSES)
    figures["mentions_per_s"] = round(rate_detected)
    figures["mentions_per_s_lang_given"] = round(rate_given)
    size = WEIGHTS_FILE.stat().st_size
    figures["model_mb"] = round(size / 1e6, 2)

    meta = model.meta
    cv = meta.get("cv", {})
    lines += [
        "",
        "| one core, best of 3 | mentions/s |",
        "|---|---|",
        f"| tweets ({len(tweets):,}), lexicon + model, language detected | {rate_detected:,.0f} |",
        f"| tweets, lexicon + model, language given | {rate_given:,.0f} |",
        f"| tweets, model alone (its own lexicon pass included) | {rate_model:,.0f} |",
        f"| book reviews ({len(reviews):,}), lexicon + model, language given "
        f"| {rate_reviews:,.0f} |",
        "",
        f"Model: `{WEIGHTS_FILE.relative_to(ROOT)}`, {size / 1e6:.2f} MB, "
        f"{model.config.buckets:,} hash buckets; {meta.get('setting', '?')}, log-odds threshold "
        f"{meta.get('threshold', 0):+.1f}. Training rows: "
        + ", ".join(f"{k} {v:,}" for k, v in meta.get("rows", {}).items())
        + ".",
        "",
        f"Cross-validated ({meta.get('cv_folds', '?')}-fold, training rows only) balanced "
        "accuracy of the chosen setting: "
        + ", ".join(f"{k} {v:.3f}" for k, v in cv.items())
        + " (`select` = mean of en-tweets, en-products, nl-reviews: what picked it).",
        "",
        f"Target (issue 15): >= {TARGET} balanced pos-vs-neg accuracy in en, nl and sv on "
        "material the project does not have (English customer-service tweets, the other half of "
        "the bol.com reviews, crisis-style posts). These halves are only a proxy: the English "
        "held-out tweets are VADER's own, on which its lexicon is at home; the Swedish set is "
        "mostly positive chat. Swedish had no training text: it is scored through the "
        "analyser's features, the AFINN and Swedish VADER word lists, and "
        + (
            "the n-gram weights it shares with English and Dutch (no language prefix)."
            if model.config.prefix != "lang"
            else "nothing of the n-grams (language-prefixed, none trained for sv)."
        ),
    ]
    publish_text_figures("Sentiment model", "bin/bench sentiment_model", lines, figures)


if __name__ == "__main__":
    main()

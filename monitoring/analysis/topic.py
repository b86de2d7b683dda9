"""Is a post about the same thing as a wave? Text similarity for "spreading to another platform".

A wave spreads from Instagram to X when X's negative posts are about what Instagram's were,
not when X has its usual share of complaints about parcels while Instagram is angry about an
advert. So each negative post on another platform is compared with the wave's posts on its
origin platform: TF-IDF vectors (words, lower-cased; links, @handles, numbers, stop words and
words of feeling dropped; hashtags kept as words), with the document frequencies taken over
the wave's posts and a sample of the brand's ordinary mentions before it, so that what every
mention of the brand says weighs little (its name, which the desk passes as `ignore`, nothing)
and what this wave says ("advert", "nurses", "#boycott") weighs much. The origin's posts make
one centroid (the mean of their unit vectors, its `CENTROID_TERMS` heaviest terms kept); a
post is on topic when its cosine with the centroid reaches `SAME_TOPIC_COSINE`. `Topic.terms`
names the heaviest terms. A post in another language than the origin's shares no words with
it and does not count.

Pure computation: no Django, no network.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from monitoring.analysis.text_lexicons import BOOSTER, NEGATOR, rules_for

SAME_TOPIC_COSINE = 0.2
# A word of at least this valence (VADER's -4..4) in a lexicon says how, not what.
FEELING_VALENCE = 1.5
CENTROID_TERMS = 30
_LINK = re.compile(r"https?://\S+|www\.\S+|@\w+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
# Words of every text in these languages: they say nothing of the topic, and a small wave
# has too few posts for the document frequencies to tell.
STOP_WORDS = frozenset(
    """
    the and for are but not you your yours with this that these those have has had was were
    will would can could should all any our ours out who what when where why how its it's
    just from they them their there then than too very about into over again also only even
    still more most much some such get got being been does did doing done here now one
    ever never like really just
    een het van voor niet met die dat deze dit zijn was waren wordt worden heb hebt heeft
    hebben maar ook nog wel als dan bij naar uit over toen omdat jullie jouw mijn onze hun
    zij wij jij ik hij haar hem wat wie waar hoe waarom geen alle veel meer zeer heel
    och att det som för med inte har var jag han hon den ett till från men kan ska vill
    eller när hur vad vem där här mina min din ditt dina vår våra deras sig sin sitt sina
    också bara efter under mot om alla mycket inga ingen något några
    """.split()  # noqa: SIM905  # a list of words reads better as words
)


def words(text: str) -> list[str]:
    """The words of a text that can carry its topic: not stop words, and not words of feeling
    (every angry wave says "terrible" and "disgrace"; what it is angry about is the topic)."""
    plain = _LINK.sub(" ", text.lower())
    return [w for w in _WORD.findall(plain) if w not in STOP_WORDS and not _feeling(w)]


@lru_cache(maxsize=100_000)
def _feeling(word: str) -> bool:
    """A word with a clear valence, or a booster ("absolutely"), in the English, Dutch or
    Swedish lexicon."""
    for lang in ("en", "nl", "sv"):
        valence, _, flags = rules_for(lang).lookup(word)
        if abs(valence) >= FEELING_VALENCE or flags & (BOOSTER | NEGATOR):
            return True
    return False


@dataclass(frozen=True)
class Topic:
    """A wave's topic: the centroid of its origin posts' TF-IDF vectors, and the weights."""

    idf: dict[str, float]
    centroid: dict[str, float]
    default_idf: float
    ignore: frozenset[str] = frozenset()

    def terms(self, k: int = 5) -> list[str]:
        return [t for t, _ in sorted(self.centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]

    def similarity(self, text: str) -> float:
        """Cosine of the text's TF-IDF vector with the centroid (0 for a text with no words)."""
        return self.similarity_of(words(text))

    def similarity_of(self, tokens: Sequence[str]) -> float:
        """`similarity` of a text already split by `words`."""
        vector = self._vector(tokens)
        if not vector or not self.centroid:
            return 0.0
        return sum(w * self.centroid.get(t, 0.0) for t, w in vector.items())

    def _vector(self, tokens: Iterable[str]) -> dict[str, float]:
        counts = Counter(t for t in tokens if t not in self.ignore)
        vector = {
            t: (1.0 + math.log(n)) * self.idf.get(t, self.default_idf) for t, n in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in vector.values()))
        return {t: w / norm for t, w in vector.items()} if norm else {}


def wave_topic(
    origin: Sequence[str],
    others: Sequence[str],
    background: Sequence[str],
    *,
    ignore: frozenset[str] = frozenset(),
) -> Topic:
    """The topic of a wave whose origin platform's posts are `origin`, beside the posts on other
    platforms (`others`) and the brand's ordinary mentions before it (`background`); the words
    of `ignore` (the brand's name) count for nothing."""
    origin_words = [words(t) for t in origin]
    frequency: Counter[str] = Counter()
    for tokens in (*origin_words, *(words(t) for t in (*others, *background))):
        frequency.update(set(tokens))
    n = len(origin) + len(others) + len(background)
    # A word in every document weighs little but not nothing: a wave that every platform
    # talks about, with no ordinary mentions to compare, still has a topic.
    idf = {t: math.log((2 + n) / (1 + df)) for t, df in frequency.items()}
    topic = Topic(idf=idf, centroid={}, default_idf=math.log(2 + n), ignore=ignore)
    centroid: dict[str, float] = {}
    vectors = [topic._vector(tokens) for tokens in origin_words]
    vectors = [v for v in vectors if v]
    for vector in vectors:
        for t, w in vector.items():
            centroid[t] = centroid.get(t, 0.0) + w / len(vectors)
    ranked = sorted(centroid.items(), key=lambda kv: (-kv[1], kv[0]))[:CENTROID_TERMS]
    heaviest = dict(ranked)
    norm = math.sqrt(sum(w * w for w in heaviest.values()))
    if norm:
        heaviest = {t: w / norm for t, w in heaviest.items()}
    return Topic(idf=idf, centroid=heaviest, default_idf=topic.default_idf, ignore=ignore)


def on_topic(
    origin: Sequence[str],
    others: Sequence[str],
    background: Sequence[str] = (),
    *,
    cosine: float = SAME_TOPIC_COSINE,
) -> list[bool]:
    """For each post of `others`: is it about what the origin's posts are about?"""
    topic = wave_topic(origin, others, background)
    return [topic.similarity(text) >= cosine for text in others]

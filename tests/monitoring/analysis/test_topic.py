"""Same topic across platforms: a post on another platform counts as the wave spreading only
when it is about what the origin's posts are about."""

from __future__ import annotations

from monitoring.analysis.topic import SAME_TOPIC_COSINE, on_topic, wave_topic, words

ADVERT = [
    "That new Acme advert is offensive to every nurse. Pull it now!",
    "Disgusted by the Acme advert mocking nurses #boycottacme",
    "How could Acme think mocking nurses in an ad was ok? Shameful",
    "Nurses deserve respect, not your stupid advert. Boycott Acme!",
    "The ad is offensive. I'm done with Acme #boycottacme",
    "Acme mocking nurses in an advert. Unbelievable.",
]
USUAL = [
    "Picked up my Acme order today",
    "Acme store on main street is open late",
    "Love my new Acme kettle",
    "Acme delivery was quick",
    "Is the Acme sale still on?",
] * 5


def test_the_same_story_on_another_platform_is_on_topic_and_an_unrelated_complaint_is_not():
    others = [
        "Acme's advert mocking nurses is disgusting, it's all over Instagram",
        "#boycottacme nurses deserve better",
        "Acme's ad with the nurses is offensive",
        "My Acme parcel is late again, terrible service",  # negative, another story
        "Acme customer service never answers the phone. Awful.",
        "This is a disgrace! Worst service ever, I am furious!!",
    ]
    assert on_topic(ADVERT, others, USUAL) == [True, True, True, False, False, False]


def test_the_brand_name_that_every_mention_carries_is_no_shared_topic():
    topic = wave_topic(ADVERT, ["Acme, why?"], USUAL)
    assert topic.similarity("Acme Acme Acme") < SAME_TOPIC_COSINE
    assert topic.terms(3)[0] in {"advert", "nurses", "mocking"}


def test_links_handles_numbers_and_stop_words_carry_no_topic():
    assert words("@acme see https://x.com/a/1 and the 3 of #Boycott NURSES") == [
        "see",
        "boycott",
        "nurses",
    ]
    topic = wave_topic(ADVERT, [], USUAL)
    assert topic.similarity("") == 0.0
    assert topic.similarity("https://acme.example/ad @nurses 2026") == 0.0


def test_no_origin_posts_make_no_topic():
    assert on_topic([], ["anything at all"], USUAL) == [False]
    assert wave_topic([], [], []).terms() == []


def test_the_brands_own_name_and_boosters_are_never_the_shared_words():
    """The desk passes the brand's name to ignore: in a wave about it, every post names it."""
    origin = [f"Alpha Bakery sold me a mouldy loaf. Absolutely {w}!" for w in ("awful", "vile")]
    topic = wave_topic(origin, [], [], ignore=frozenset(words("Alpha Bakery")))
    assert set(topic.terms(5)) == {"sold", "mouldy", "loaf"}
    assert topic.similarity("Alpha Bakery") == 0.0
    assert topic.similarity("a mouldy loaf from them too") >= SAME_TOPIC_COSINE

"""The tone check in the pages: POST /tone/ answers a draft's findings (severity, the quoted
excerpt, reason, suggestion; blocks first; an all-clear) in the page's language, with the
context looked up in the brand's own schema (the incident's Q&A link while it is open, the
thread's language, the mention's platform); agency people only; another brand's incident or
mention is never used; no input makes it fail. The Q&A editor and the employee notice show the
findings beside their texts, live (htmx attributes) and without JavaScript."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from agency.models import User
from clients import tenancy
from monitoring.models import Mention
from monitoring.services.ingestion import mentions_ingest
from playbooks import tone
from playbooks.models import EmployeeNotice, Incident, QAVersion
from playbooks.selectors import draft_tone
from playbooks.tone_texts import TEXTS, language_name, tone_words
from tests.monitoring.factories import T0, make_source
from tests.playbooks.test_notices import with_employees
from tests.playbooks.test_qa import draft, incident_of, publish

pytestmark = pytest.mark.django_db

CONFRONTATIONAL = "Calm down, that's not true. You should have read the label."
SOBER = "We are sorry. We are checking every pie of Monday and will post an update at 18:00."


def signed_in(world, user, client, **kw) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=world.host(client), **kw)
    if user is not None:
        browser.force_login(user)
    return browser


def checked(browser: HttpClient, **fields: object) -> str:
    """The partial the tone check answers for `fields` (kind "reply" unless given)."""
    answer = browser.post("/tone/", {"kind": "reply", **fields})
    assert answer.status_code == 200, (answer.status_code, answer.content[:300])
    assert answer["Content-Type"].startswith("text/html")
    return answer.content.decode()


def codes(html: str) -> list[str]:
    return re.findall(r'data-code="([a-z_]+)"', html)


def panel(html: str, name: str) -> str:
    """The inside of the tone panel `tone-<name>` of an editor page (the partial has no div)."""
    return html.split(f'id="tone-{name}" aria-live="polite">', 1)[1].split("</div>", 1)[0]


def mention_in(client, *, language: str, platform: str = "instagram", n: int = 1) -> Mention:  # type: ignore[no-untyped-def]
    source = make_source(client, platform=platform)
    with tenancy.tenant_context(client):
        mentions_ingest(
            client=client,
            source=source,
            channel="api",
            items=[
                {
                    "external_id": f"tone-{platform}-{language}-{n}",
                    "posted_at": (T0 + timedelta(minutes=n)).isoformat(),
                    "text": "Ni säljer skräp och struntar i era kunder.",
                    "author": {"handle": f"kund{n}", "followers": 40},
                    "language": language,
                    "platform": platform,
                }
            ],
        )
        found = Mention.objects.get(external_id=f"tone-{platform}-{language}-{n}")
    tenancy.reset_to_public()
    return found


def speaking(user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language)


# --- The endpoint -----------------------------------------------------------------------------


def test_the_findings_come_with_their_excerpt_reason_and_suggestion(world):
    browser = signed_in(world, world.staff_a, world.alpha)
    html = checked(browser, text=CONFRONTATIONAL, platform="facebook", language="en")
    assert codes(html) == ["confrontational", "confrontational", "blame"]
    assert "Tone check: 3 points to look at" in html
    assert '<q class="tone-excerpt">Calm down</q>' in html
    assert '<q class="tone-excerpt">that&#x27;s not true</q>' in html
    assert '<q class="tone-excerpt">You should have</q>' in html
    assert "Contradicts or lectures the reader" in html
    assert "Acknowledge the concern and state the facts without arguing." in html
    assert html.count('<span class="badge tone-warn">Warning</span>') == 3
    # A draft on the whole (no excerpt) and a block, which comes first.
    text = "Calm down. " + "We are on it. " * 25
    html = checked(browser, text=text, kind="post", platform="x", language="en")
    assert codes(html) == ["too_long", "confrontational"]
    assert "Too long for X: 361 characters, the limit is 280." in html
    assert html.index("Blocks") < html.index("Warning")
    # A sober text: the all-clear; nothing written yet: nothing at all.
    html = checked(browser, text=SOBER, platform="facebook", language="en")
    assert codes(html) == [] and "Tone check: no problems found." in html
    assert checked(browser, text="  \n ").strip() == ""
    assert "aria-live" not in html  # the live region is the includer's element


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Toontoets: 3 punten om naar te kijken",
                "Confronterend",
                "Spreekt de lezer tegen of beleert hem",
                "Suggestie:",
                "Erken de zorg en noem de feiten zonder in discussie te gaan.",
                "Legt de schuld bij de lezer",
                "Waarschuwing",
            ],
        ),
        (
            "sv",
            [
                "Tonkontroll: 3 saker att se över",
                "Konfrontativt",
                "Säger emot eller läxar upp läsaren",
                "Förslag:",
                "Bekräfta oron och ge fakta utan att argumentera.",
                "Lägger skulden på läsaren",
                "Varning",
            ],
        ),
    ],
)
def test_the_findings_speak_the_pages_language(world, language, words):
    speaking(world.staff_a, language)
    browser = signed_in(world, world.staff_a, world.alpha)
    html = checked(browser, text=CONFRONTATIONAL, platform="facebook", language="en")
    for word in words:
        assert word in html, word
    assert "Contradicts" not in html and "Suggestion:" not in html
    html = checked(browser, text="We are on it. " * 25, kind="post", platform="x", language="en")
    limit = {
        "nl": "Te lang voor X: 350 tekens, de limiet is 280.",
        "sv": "För långt för X: 350 tecken, gränsen är 280.",
    }
    assert limit[language] in html
    assert {"nl": "Blokkeert", "sv": "Blockerar"}[language] in html
    html = checked(browser, text=SOBER, platform="facebook", language="en")
    clear = {
        "nl": "Toontoets: geen problemen gevonden.",
        "sv": "Tonkontroll: inga problem hittades.",
    }
    assert clear[language] in html


def test_the_qa_link_is_asked_for_while_the_incident_is_open_and_has_one(
    world, django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_PORT = ""
    incident = incident_of(world.alpha)
    browser = signed_in(world, world.staff_a, world.alpha)
    draft_reply = {"text": SOBER, "platform": "instagram", "incident": incident.pk}
    # No page published yet: a link would lead to "not found", so none is asked for.
    assert "no_qa_link" not in codes(checked(browser, **draft_reply))
    publish(world.alpha, draft(world.alpha, incident, world.staff_a), world.staff_a,
            django_capture_on_commit_callbacks)  # fmt: skip
    with tenancy.tenant_context(world.alpha):
        link = f"http://alpha.agency.localhost/qa/{incident.qa_page.code}/"
    tenancy.reset_to_public()
    html = checked(browser, **draft_reply)
    assert "no_qa_link" in codes(html)
    assert "No link to the Q&amp;A page during an incident." in html
    assert "no_qa_link" in codes(checked(browser, **draft_reply, kind="post"))
    # With the link (as the reply editor adds it) the finding is gone.
    with_link = {**draft_reply, "text": f"{SOBER} {link}"}
    assert "no_qa_link" not in codes(checked(browser, **with_link))
    # A Q&A text or a notice is not a reply: no link asked for.
    assert "no_qa_link" not in codes(checked(browser, **draft_reply, kind="qa"))
    # Once the incident is closed, nothing is asked for any more.
    with tenancy.tenant_context(world.alpha):
        Incident.objects.filter(pk=incident.pk).update(status="closed")
    tenancy.reset_to_public()
    assert "no_qa_link" not in codes(checked(browser, **draft_reply))


def test_a_reply_in_another_language_than_the_thread(world):
    swedish = mention_in(world.alpha, language="sv")
    english = mention_in(world.alpha, language="en", n=2)
    browser = signed_in(world, world.staff_a, world.alpha)
    reply = "We are sorry to hear this and we are looking into what went wrong with the order."
    html = checked(browser, text=reply, mention=swedish.pk)
    assert "language" in codes(html)
    assert "Written in another language (English) than the thread (Swedish)." in html
    assert "language" not in codes(checked(browser, text=reply, mention=english.pk))
    # On a Dutch page the languages are named in Dutch.
    speaking(world.staff_a, "nl")
    html = checked(signed_in(world, world.staff_a, world.alpha), text=reply, mention=swedish.pk)
    assert "Geschreven in een andere taal (Engels) dan het gesprek (Zweeds)." in html


def test_the_platform_is_the_mentions_when_none_is_given(world):
    on_x = mention_in(world.alpha, language="en", platform="x", n=3)
    browser = signed_in(world, world.staff_a, world.alpha)
    long_reply = "We are looking into it now. " * 12
    html = checked(browser, text=long_reply, mention=on_x.pk)
    assert codes(html)[0] == "too_long" and "Too long for X:" in html
    # A platform given is the one checked (Facebook takes 8,000 characters).
    assert "too_long" not in codes(
        checked(browser, text=long_reply, mention=on_x.pk, platform="facebook")
    )


def test_only_the_agency_people_of_the_brand_may_ask(world):
    data = {"text": CONFRONTATIONAL, "kind": "reply"}
    assert signed_in(world, world.viewer_a, world.alpha).post("/tone/", data).status_code == 403
    assert signed_in(world, world.staff_b, world.alpha).post("/tone/", data).status_code == 403
    assert signed_in(world, world.outsider, world.alpha).post("/tone/", data).status_code == 403
    anonymous = signed_in(world, None, world.alpha).post("/tone/", data)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    staff = signed_in(world, world.staff_a, world.alpha)
    assert staff.get("/tone/", data).status_code == 405
    # A page elsewhere that makes a signed-in person's browser post: no CSRF token.
    forged = signed_in(world, world.staff_a, world.alpha, enforce_csrf_checks=True)
    assert forged.post("/tone/", data).status_code == 403
    # Bravo's staff on their own host: their brand, their tone check.
    assert "confrontational" in codes(checked(signed_in(world, world.staff_b, world.bravo), **data))


def _only_in(client, other, make):  # type: ignore[no-untyped-def]
    """A row made in `client` by `make()` whose id `other` does not have (ids are per schema:
    the same number may be another row there)."""
    for _attempt in range(6):
        row = make()
        with tenancy.tenant_context(other):
            taken = type(row).objects.filter(pk=row.pk).exists()
        tenancy.reset_to_public()
        if not taken:
            return row
    raise AssertionError("no id free in the other brand")


def test_another_brands_incident_and_mention_are_never_used(
    world, django_capture_on_commit_callbacks, settings
):
    settings.PUBLIC_PORT = ""
    theirs = _only_in(world.bravo, world.alpha, lambda: incident_of(world.bravo))
    publish(world.bravo, draft(world.bravo, theirs, world.staff_b, language="sv"), world.staff_b,
            django_capture_on_commit_callbacks)  # fmt: skip
    their_mention = _only_in(
        world.bravo, world.alpha, lambda: mention_in(world.bravo, language="sv", n=7)
    )
    # On bravo's host the incident and the mention are bravo's: the link and the language count.
    bravo = signed_in(world, world.staff_b, world.bravo)
    html = checked(
        bravo, text=SOBER, platform="instagram", incident=theirs.pk, mention=their_mention.pk
    )
    assert {"no_qa_link", "language"} <= set(codes(html))
    # On alpha's host, by someone who may see both brands: those ids are no one's here.
    admin = signed_in(world, world.admin, world.alpha)
    fields = {"text": SOBER, "kind": "reply", "platform": "instagram"}
    assert admin.post("/tone/", {**fields, "incident": theirs.pk}).status_code == 404
    assert admin.post("/tone/", {**fields, "mention": their_mention.pk}).status_code == 404
    with tenancy.tenant_context(world.bravo):
        their_link = theirs.qa_page.code
    tenancy.reset_to_public()
    for answer in (
        admin.post("/tone/", {**fields, "incident": theirs.pk}),
        admin.post("/tone/", {**fields, "mention": their_mention.pk}),
    ):
        assert their_link not in answer.content.decode()
        assert "Swedish" not in answer.content.decode()


# What arrives at the door: any text, any kind, platform, language, ids and field names.
SENDABLE = st.characters(exclude_categories=["Cs"])
TEXT = st.text(SENDABLE, max_size=60)
LANGUAGES = ("en", "nl", "sv", "de", "")


@given(
    text=st.text(SENDABLE, max_size=400) | st.just("x" * (20_001)),
    kind=st.sampled_from(["reply", "post", "qa", "notice", "", "tweet"]) | TEXT,
    platform=st.sampled_from(["x", "facebook", "instagram", "news", ""]) | TEXT,
    language=st.sampled_from(LANGUAGES) | TEXT,
    incident=st.integers(min_value=-2, max_value=2**70).map(str) | TEXT,
    mention=st.integers(min_value=-2, max_value=2**70).map(str) | TEXT,
    field=st.sampled_from(["text", "a_0", "intro", "kind", "body"]) | TEXT,
    body=st.binary(max_size=300),
)
@examples(
    deadline=None,
    database=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_whatever_arrives_the_tone_check_answers_without_a_server_error(
    world, text, kind, platform, language, incident, mention, field, body
):
    browser = signed_in(world, world.staff_a, world.alpha)
    data = {
        "text": text,
        "kind": kind,
        "platform": platform,
        "language": language,
        "incident": incident,
        "mention": mention,
        "field": field,
        "a_0": text,
    }
    answers = [
        browser.post("/tone/", data),
        browser.post("/tone/", {**data, "kind": "reply", "incident": "", "mention": ""}),
        browser.post("/tone/", body, content_type="application/x-www-form-urlencoded"),
        browser.post("/tone/", body, content_type="multipart/form-data; boundary=xyz"),
        browser.post("/tone/", body, content_type="x/y"),
    ]
    for answer in answers:
        assert answer.status_code in (200, 400, 404), answer.status_code
    # Every field well formed: the findings, whatever the text.
    readable = field in ("text", "a_0", "intro", "body") and "\x00" not in text
    known = platform in ("x", "facebook", "instagram", "news", "") and language in LANGUAGES
    if readable and known and len(text) <= 20_000:
        assert answers[1].status_code == 200, answers[1].content[:200]


# --- The selector and the texts ---------------------------------------------------------------


def test_draft_tone_gives_the_excerpts_in_the_brands_schema_only(world):
    text = "THIS IS NOT OK!! Calm down."
    with tenancy.tenant_context(world.alpha):
        found = draft_tone(client=world.alpha, text=text, kind="reply", platform="x")
    tenancy.reset_to_public()
    assert {"caps", "exclamations", "confrontational"} <= {f.code for f in found}
    for finding in found:
        assert finding.span is not None
        assert finding.excerpt == text[finding.span[0] : finding.span[1]]
        assert finding.label and finding.reason and finding.suggestion
    assert "Calm down" in [f.excerpt for f in found]
    starts = [f.span[0] for f in found if f.span]
    assert starts == sorted(starts)
    with pytest.raises(ValueError, match="kind"), tenancy.tenant_context(world.alpha):
        draft_tone(client=world.alpha, text=text, kind="tweet", platform="x")
    tenancy.reset_to_public()
    # Outside the brand's schema: refused before anything is read.
    with pytest.raises(Exception, match="schema"):
        draft_tone(client=world.alpha, text=text, kind="reply", platform="x")


def test_every_code_has_its_words_in_english_dutch_and_swedish():
    assert set(TEXTS) == set(tone.CODES)
    for code in tone.CODES:
        args: tuple[str | int, ...] = {"too_long": ("X", 301, 280), "language": ("nl", "sv")}.get(
            code, ()
        )
        english_reason, english_suggestion = tone.TEXTS[code]
        finding = tone.Finding(
            code, "warn", english_reason.format(*args), english_suggestion, None, args
        )
        with translation.override("en"):
            label, reason, suggestion = tone_words(finding)
            if code == "language":
                assert reason == "Written in another language (Dutch) than the thread (Swedish)."
            else:
                assert reason == finding.reason  # the pure module's reference words
            assert suggestion == english_suggestion and label
        for language in ("nl", "sv"):
            with translation.override(language):
                words = tone_words(finding)
            assert words[0] != label and words[1] != reason and words[2] != suggestion, (
                code,
                language,
            )
            assert "%(" not in words[1] and "301" in words[1] if code == "too_long" else True
    with translation.override("sv"):
        assert language_name("nl") == "Nederländska" and language_name("zz") == "zz"
    # A code the texts do not know yet keeps the pure module's words.
    new = tone.Finding("new_check", "warn", "A reason.", "A suggestion.", None)
    assert tone_words(new) == ("New check", "A reason.", "A suggestion.")


# --- The editors --------------------------------------------------------------------------------


def test_the_qa_editor_shows_the_findings_beside_each_text_without_javascript(world):
    incident = incident_of(world.alpha)
    draft(
        world.alpha,
        incident,
        world.staff_a,
        intro="Rustig aan, dat klopt niet.",
        entries=[
            {"q": "Is de taart veilig?", "a": "Ja. De partij van maandag is teruggeroepen."},
            {"q": "Wie is er schuldig?", "a": "Het is uw eigen schuld!!"},
        ],
    )
    browser = signed_in(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/qa/"
    html = browser.get(url).content.decode()
    # Rendered with the page, from the latest version.
    assert codes(panel(html, "intro")) == ["confrontational", "confrontational"]
    assert "Tone check: no problems found." in panel(html, "a_0")
    assert {"blame", "exclamations"} <= set(codes(panel(html, "a_1")))
    assert panel(html, "a_2").strip() == ""  # an empty row: nothing to check
    # Each text posts the form to the tone check as it changes, into its own panel.
    intro = re.search(r"<textarea [^>]*name=\"intro\"[^>]*>", html)
    assert intro is not None
    tag = intro.group()
    assert 'hx-post="/tone/"' in tag and 'hx-target="#tone-intro"' in tag
    assert 'hx-trigger="input changed delay:400ms, change"' in tag
    assert 'aria-describedby="tone-intro"' in tag and 'hx-include="closest form"' in tag
    values = json.loads(re.search(r'hx-vals="([^"]*)"', tag).group(1).replace("&quot;", '"'))  # type: ignore[union-attr]
    assert values == {"kind": "qa", "field": "intro", "incident": str(incident.pk)}
    # What htmx posts: the whole form, the draft named by `field`, in the form's language.
    form = {"title": "T", "language": "nl", "intro": "", "a_0": "Dat is onzin.", "rows": "10"}
    part = checked(browser, **form, kind="qa", field="a_0", incident=incident.pk)
    assert codes(part) == ["confrontational"] and "Confronterend" not in part
    # A submit the form refuses shows the findings of what was posted.
    answer = browser.post(
        f"{url}draft/",
        {"title": "", "language": "nl", "q_0": "Waarom?", "a_0": "Kalm aan, zoals gezegd."},
    )
    assert answer.status_code == 400
    refused = answer.content.decode()
    assert codes(panel(refused, "a_0")) == ["confrontational", "confrontational"]
    assert panel(refused, "intro").strip() == ""
    with tenancy.tenant_context(world.alpha):
        assert QAVersion.objects.filter(page__incident=incident).count() == 1
    tenancy.reset_to_public()
    # A client viewer gets no form, so no tone check either.
    viewer = signed_in(world, world.viewer_a, world.alpha).get(url).content.decode()
    assert 'id="tone-intro"' not in viewer and "/tone/" not in viewer


def test_the_notice_editor_checks_the_tone_live_and_on_request_without_sending(world):
    with_employees(world, world.alpha)
    incident = incident_of(world.alpha)
    browser = signed_in(world, world.staff_a, world.alpha)
    url = f"/incidents/{incident.pk}/notice/"
    html = browser.get(url).content.decode()
    body = re.search(r"<textarea [^>]*name=\"body\"[^>]*>", html)
    assert body is not None
    assert 'hx-post="/tone/"' in body.group() and 'hx-target="#tone-body"' in body.group()
    assert 'name="check"' in html
    # "Check the tone": the page again with the findings on the posted text, nothing sent.
    text = "WE DID NOTHING WRONG. Stop spreading nonsense!!"
    answer = browser.post(
        url, {"subject": "Lees dit", "body": text, "remind_after_minutes": "30", "check": "1"}
    )
    assert answer.status_code == 200
    found = codes(panel(answer.content.decode(), "body"))
    assert {"caps", "confrontational", "exclamations"} <= set(found)
    assert text in answer.content.decode()  # the text stays in the form
    with tenancy.tenant_context(world.alpha):
        assert not EmployeeNotice.objects.filter(incident=incident).exists()
    tenancy.reset_to_public()
    # The live check as the notice page posts it.
    part = checked(
        browser, kind="notice", field="body", body=text, subject="Lees dit", incident=incident.pk
    )
    assert set(codes(part)) == set(found)

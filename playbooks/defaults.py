"""The agency's default playbooks: the two source articles' advice as ordered steps, in English,
Dutch and Swedish. Plain data (no Django import): the agency's templates are created from it
(agency.playbook_templates), and every brand gets a copy in its language at onboarding.

A step: who does it, what, and when, in minutes from the incident's start. The advice
(PRODUCT.md): answer at once on the platform where it started, preferably with an own post;
reply once per thread; check the other platforms; a Q&A page linked in every answer; the
employees informed at once with a guideline for their personal accounts; the ambassadors
rallied, never with a script; sober, objective, no confrontation, a positive mission; and
afterwards, the question whether the critique held some truth.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "nl", "sv")

# Who does a step.
ON_DUTY, LEAD, ACCOUNT_MANAGER, CLIENT = "on_duty", "lead", "account_manager", "client"
WHO = (ON_DUTY, LEAD, ACCOUNT_MANAGER, CLIENT)

# The situation a playbook fits ("" for any).
ORIGINS = ("own_post", "failure", "leak", "outside_event")
TIMINGS = ("office", "night", "weekend", "holiday")


@dataclass(frozen=True)
class StepText:
    title: str
    instructions: str


# Each block: its kind (what the incident does with it later: the first-response clock watches
# "holding_reply"), then its texts per language.
BLOCKS: dict[str, dict[str, StepText]] = {
    "acknowledge": {
        "en": StepText(
            "Acknowledge the alert and open the incident",
            "Look at the wave: where did it start, who are the multipliers, is it still "
            "growing? Note what you see on the incident.",
        ),
        "nl": StepText(
            "Bevestig de melding en open het incident",
            "Bekijk de golf: waar begon het, wie zijn de vermenigvuldigers, groeit het nog? "
            "Noteer wat je ziet bij het incident.",
        ),
        "sv": StepText(
            "Kvittera larmet och öppna incidenten",
            "Titta på vågen: var började den, vilka är spridarna, växer den fortfarande? "
            "Anteckna det du ser i incidenten.",
        ),
    },
    "wake_manager": {
        "en": StepText(
            "Call the account manager",
            "At night or at the weekend the brand's contact is not at work: the account "
            "manager decides with them what the brand may say.",
        ),
        "nl": StepText(
            "Bel de accountmanager",
            "'s Nachts of in het weekend is de contactpersoon van het merk niet aan het werk: "
            "de accountmanager bepaalt met hen wat het merk mag zeggen.",
        ),
        "sv": StepText(
            "Ring den kundansvarige",
            "På natten eller helgen arbetar inte varumärkets kontaktperson: den kundansvarige "
            "bestämmer med dem vad varumärket får säga.",
        ),
    },
    "holding_reply": {
        "en": StepText(
            "Holding reply on the platform where it started",
            "Answer at once on the origin platform: no tweet while the outrage is on Facebook. "
            "It need not be detailed; preferably an own post, because people react there. "
            "Sober and objective, no confrontation. Reply once per thread: a second answer is "
            "a discussion.",
        ),
        "nl": StepText(
            "Eerste reactie op het platform waar het begon",
            "Reageer direct op het platform waar de eerste berichten binnenkwamen: geen tweet "
            "als de ophef op Facebook is. Het hoeft niet uitgebreid; liefst een eigen bericht, "
            "want daar reageren mensen. Nuchter en zakelijk, geen confrontatie. Reageer één "
            "keer per draad: een tweede antwoord is een discussie.",
        ),
        "sv": StepText(
            "Första svar på plattformen där det började",
            "Svara direkt på plattformen där de första inläggen kom: ingen tweet medan "
            "upprördheten är på Facebook. Det behöver inte vara detaljerat; helst ett eget "
            "inlägg, eftersom folk reagerar där. Sakligt, ingen konfrontation. Svara en gång "
            "per tråd: ett andra svar är en diskussion.",
        ),
    },
    "night_holding_reply": {
        "en": StepText(
            "Holding reply on the platform where it started",
            "Answer now, on the origin platform, even at night: say that you have seen it, "
            "that you are looking into it and when the next update comes (e.g. 08:00). An own "
            "post is best. Reply once per thread.",
        ),
        "nl": StepText(
            "Eerste reactie op het platform waar het begon",
            "Reageer nu op het platform waar het begon, ook 's nachts: zeg dat je het gezien "
            "hebt, dat je het uitzoekt en wanneer de volgende update komt (bijv. 08:00). Een "
            "eigen bericht is het best. Reageer één keer per draad.",
        ),
        "sv": StepText(
            "Första svar på plattformen där det började",
            "Svara nu på plattformen där det började, även på natten: säg att ni har sett det, "
            "att ni undersöker saken och när nästa uppdatering kommer (t.ex. 08:00). Ett eget "
            "inlägg är bäst. Svara en gång per tråd.",
        ),
    },
    "apology": {
        "en": StepText(
            "Own the wrong post",
            "A post of the brand's own made a group feel attacked. Do not delete it silently: "
            "say on the same platform that it was wrong and that you are sorry, without "
            "excuses.",
        ),
        "nl": StepText(
            "Neem verantwoordelijkheid voor het verkeerde bericht",
            "Een eigen bericht van het merk gaf een groep het gevoel aangevallen te worden. "
            "Verwijder het niet stilletjes: zeg op hetzelfde platform dat het fout was en dat "
            "het je spijt, zonder excuses te zoeken.",
        ),
        "sv": StepText(
            "Ta ansvar för det felaktiga inlägget",
            "Ett eget inlägg fick en grupp att känna sig angripen. Ta inte bort det i tysthet: "
            "säg på samma plattform att det var fel och att ni beklagar, utan bortförklaringar.",
        ),
    },
    "facts": {
        "en": StepText(
            "Get the facts from the brand",
            "What failed, since when, for whom, and when will it be fixed? Only say what is "
            "certain; say what is not known yet.",
        ),
        "nl": StepText(
            "Haal de feiten op bij het merk",
            "Wat ging er mis, sinds wanneer, voor wie, en wanneer is het opgelost? Zeg alleen "
            "wat zeker is; zeg wat nog niet bekend is.",
        ),
        "sv": StepText(
            "Hämta fakta från varumärket",
            "Vad gick fel, sedan när, för vem, och när är det åtgärdat? Säg bara det som är "
            "säkert; säg vad som ännu inte är känt.",
        ),
    },
    "legal": {
        "en": StepText(
            "Agree with management and legal what may be said",
            "A leak from inside: nothing is confirmed or denied before management and legal "
            "have agreed the wording. Meanwhile the holding reply only says that you are "
            "looking into it.",
        ),
        "nl": StepText(
            "Spreek met directie en juristen af wat er gezegd mag worden",
            "Een lek van binnenuit: niets wordt bevestigd of ontkend voordat directie en "
            "juristen de tekst hebben afgestemd. Tot dan zegt de eerste reactie alleen dat je "
            "het uitzoekt.",
        ),
        "sv": StepText(
            "Kom överens med ledning och jurister om vad som får sägas",
            "En läcka inifrån: inget bekräftas eller förnekas innan ledning och jurister har "
            "enats om formuleringen. Till dess säger det första svaret bara att ni undersöker "
            "saken.",
        ),
    },
    "stance": {
        "en": StepText(
            "Decide whether the brand speaks at all",
            "An event in society, not of the brand's making: does the brand have something to "
            "add? Keep the positive mission; never use the event for promotion. If it speaks, "
            "sober and once.",
        ),
        "nl": StepText(
            "Beslis of het merk iets zegt",
            "Een gebeurtenis in de samenleving, niet door het merk veroorzaakt: heeft het merk "
            "iets toe te voegen? Houd de positieve missie vast; gebruik de gebeurtenis nooit "
            "voor promotie. Als het iets zegt: nuchter en één keer.",
        ),
        "sv": StepText(
            "Bestäm om varumärket ska uttala sig",
            "En händelse i samhället som varumärket inte orsakat: har varumärket något att "
            "tillföra? Håll fast vid det positiva uppdraget; använd aldrig händelsen i "
            "marknadsföring. Om det uttalar sig: sakligt och en gång.",
        ),
    },
    "check_platforms": {
        "en": StepText(
            "Check the other platforms",
            "Is it spreading to other platforms, also ones the brand hardly uses (LinkedIn, "
            "TikTok, forums, news)? Note where, and answer there too if it started a thread.",
        ),
        "nl": StepText(
            "Controleer de andere platforms",
            "Verspreidt het zich naar andere platforms, ook die het merk nauwelijks gebruikt "
            "(LinkedIn, TikTok, fora, nieuws)? Noteer waar, en reageer daar ook als er een "
            "draad ontstaat.",
        ),
        "sv": StepText(
            "Kontrollera de andra plattformarna",
            "Sprider det sig till andra plattformar, även sådana varumärket knappt använder "
            "(LinkedIn, TikTok, forum, nyheter)? Anteckna var, och svara där också om en tråd "
            "uppstår.",
        ),
    },
    "inform_client": {
        "en": StepText(
            "Inform the brand's contact",
            "Tell the client what is happening, what was answered and what the next step is.",
        ),
        "nl": StepText(
            "Informeer de contactpersoon van het merk",
            "Vertel de klant wat er gebeurt, wat er geantwoord is en wat de volgende stap is.",
        ),
        "sv": StepText(
            "Informera varumärkets kontaktperson",
            "Berätta för kunden vad som händer, vad som har svarats och vad nästa steg är.",
        ),
    },
    "qa_page": {
        "en": StepText(
            "Publish the Q&A page and link it in every answer",
            "All information about the crisis in one place on the brand's site: it saves work, "
            "keeps answers consistent and avoids discussion. Update it as facts come in.",
        ),
        "nl": StepText(
            "Publiceer de Q&A-pagina en link ernaar in elk antwoord",
            "Alle informatie over de crisis op één plek op de site van het merk: dat scheelt "
            "werk, houdt antwoorden consistent en voorkomt discussie. Werk haar bij als er "
            "feiten bijkomen.",
        ),
        "sv": StepText(
            "Publicera Q&A-sidan och länka till den i varje svar",
            "All information om krisen på ett ställe på varumärkets webbplats: det sparar "
            "arbete, håller svaren samstämmiga och undviker diskussion. Uppdatera den när nya "
            "fakta kommer.",
        ),
    },
    "employees": {
        "en": StepText(
            "Inform the employees",
            "At once, before they read it elsewhere, with a guideline for their personal "
            "accounts (LinkedIn): do not discuss it, link the Q&A page, pass questions on.",
        ),
        "nl": StepText(
            "Informeer de medewerkers",
            "Direct, voordat ze het ergens anders lezen, met een richtlijn voor hun eigen "
            "accounts (LinkedIn): ga niet in discussie, link naar de Q&A-pagina, geef vragen "
            "door.",
        ),
        "sv": StepText(
            "Informera medarbetarna",
            "Genast, innan de läser om det någon annanstans, med en riktlinje för deras egna "
            "konton (LinkedIn): diskutera inte, länka till Q&A-sidan, skicka frågor vidare.",
        ),
    },
    "ambassadors": {
        "en": StepText(
            "Rally the ambassadors",
            "Loyal fans often correct an unfair statement before you do. Tell them what is "
            "going on and give them the Q&A link; never a script to paste.",
        ),
        "nl": StepText(
            "Mobiliseer de ambassadeurs",
            "Trouwe fans corrigeren een onterechte uitspraak vaak eerder dan jij. Vertel hun "
            "wat er speelt en geef hun de link naar de Q&A-pagina; nooit een tekst om te "
            "plakken.",
        ),
        "sv": StepText(
            "Samla ambassadörerna",
            "Lojala fans rättar ofta ett orättvist påstående innan ni hinner. Berätta vad som "
            "händer och ge dem länken till Q&A-sidan; aldrig ett manus att klistra in.",
        ),
    },
    "review": {
        "en": StepText(
            "Review: was there truth in the critique?",
            "When it is over: was the critique (partly) right, and what should the brand "
            "improve? Change this playbook with what you learnt.",
        ),
        "nl": StepText(
            "Evaluatie: zat er een kern van waarheid in de kritiek?",
            "Als het voorbij is: had de kritiek (deels) gelijk, en wat moet het merk "
            "verbeteren? Pas dit draaiboek aan met wat je geleerd hebt.",
        ),
        "sv": StepText(
            "Utvärdering: fanns det något sant i kritiken?",
            "När det är över: hade kritiken (delvis) rätt, och vad bör varumärket förbättra? "
            "Ändra den här handboken med det ni lärt er.",
        ),
    },
}


@dataclass(frozen=True)
class Step:
    block: str
    who: str
    due_minutes: int


@dataclass(frozen=True)
class Template:
    key: str
    names: dict[str, str]
    # The situation it fits ("" for any).
    origin: str
    level: str
    timing: str
    platform: str
    steps: tuple[Step, ...]


def _common(first: tuple[Step, ...]) -> tuple[Step, ...]:
    """What follows every first answer: the other platforms, the client, the Q&A page, the
    employees, the ambassadors, and the review at the end."""
    return (
        *first,
        Step("check_platforms", ON_DUTY, 20),
        Step("inform_client", ACCOUNT_MANAGER, 30),
        Step("qa_page", LEAD, 45),
        Step("employees", CLIENT, 60),
        Step("ambassadors", LEAD, 90),
        Step("review", LEAD, 7 * 24 * 60),
    )


# Outside office hours the brand's contact is away: the account manager is called first.
AFTER_HOURS = (
    Step("acknowledge", ON_DUTY, 5),
    Step("wake_manager", ON_DUTY, 10),
    Step("night_holding_reply", ON_DUTY, 20),
)

TEMPLATES: tuple[Template, ...] = (
    Template(
        key="crisis",
        names={"en": "Crisis", "nl": "Crisis", "sv": "Kris"},
        origin="",
        level="crisis",
        timing="",
        platform="",
        steps=_common((Step("acknowledge", ON_DUTY, 5), Step("holding_reply", ON_DUTY, 15))),
    ),
    Template(
        key="night_crisis",
        names={"en": "Night crisis", "nl": "Nachtelijke crisis", "sv": "Kris på natten"},
        origin="",
        level="crisis",
        timing="night",
        platform="",
        steps=_common(AFTER_HOURS),
    ),
    Template(
        key="weekend_crisis",
        names={"en": "Weekend crisis", "nl": "Crisis in het weekend", "sv": "Kris på helgen"},
        origin="",
        level="crisis",
        timing="weekend",
        platform="",
        steps=_common(AFTER_HOURS),
    ),
    Template(
        key="own_post",
        names={
            "en": "A wrong post of our own",
            "nl": "Een verkeerd eigen bericht",
            "sv": "Ett felaktigt eget inlägg",
        },
        origin="own_post",
        level="",
        timing="",
        platform="",
        steps=_common((Step("acknowledge", ON_DUTY, 5), Step("apology", LEAD, 15))),
    ),
    Template(
        key="failure",
        names={
            "en": "Product or service failure",
            "nl": "Storing of fout in product of dienst",
            "sv": "Fel på produkt eller tjänst",
        },
        origin="failure",
        level="",
        timing="",
        platform="",
        steps=_common(
            (
                Step("acknowledge", ON_DUTY, 5),
                Step("holding_reply", ON_DUTY, 15),
                Step("facts", ACCOUNT_MANAGER, 20),
            )
        ),
    ),
    Template(
        key="leak",
        names={"en": "A leak", "nl": "Een lek", "sv": "En läcka"},
        origin="leak",
        level="",
        timing="",
        platform="",
        steps=_common(
            (
                Step("acknowledge", ON_DUTY, 5),
                Step("holding_reply", ON_DUTY, 15),
                Step("legal", ACCOUNT_MANAGER, 20),
            )
        ),
    ),
    Template(
        key="outside_event",
        names={
            "en": "An outside event in society",
            "nl": "Een gebeurtenis in de samenleving",
            "sv": "En händelse i samhället",
        },
        origin="outside_event",
        level="",
        timing="",
        platform="",
        steps=(
            Step("acknowledge", ON_DUTY, 5),
            Step("stance", ACCOUNT_MANAGER, 30),
            Step("check_platforms", ON_DUTY, 30),
            Step("qa_page", LEAD, 60),
            Step("employees", CLIENT, 90),
            Step("review", LEAD, 7 * 24 * 60),
        ),
    ),
    Template(
        key="issue",
        names={"en": "Issue", "nl": "Probleem", "sv": "Problem"},
        origin="",
        level="issue",
        timing="",
        platform="",
        steps=(
            Step("acknowledge", ON_DUTY, 10),
            Step("holding_reply", ON_DUTY, 30),
            Step("check_platforms", ON_DUTY, 45),
            Step("inform_client", ACCOUNT_MANAGER, 60),
            Step("review", LEAD, 7 * 24 * 60),
        ),
    ),
)


@dataclass(frozen=True)
class StepRow:
    position: int
    kind: str
    title: str
    instructions: str
    who: str
    due_minutes: int


def rows(template: Template, language: str) -> tuple[str, list[StepRow]]:
    """A template's name and steps in `language` (English if it has none)."""
    language = language if language in LANGUAGES else "en"
    steps = [
        StepRow(
            position=n,
            kind="holding_reply" if step.block == "night_holding_reply" else step.block,
            title=BLOCKS[step.block][language].title,
            instructions=BLOCKS[step.block][language].instructions,
            who=step.who,
            due_minutes=step.due_minutes,
        )
        for n, step in enumerate(template.steps)
    ]
    return template.names.get(language, template.names["en"]), steps

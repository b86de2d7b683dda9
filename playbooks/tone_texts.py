"""The tone check's words in the page's language (en, nl, sv).

playbooks.tone is pure and speaks English (its TEXTS are the reference); this module gives each
finding's code a short label, its reason and its suggestion through gettext, and fills the
reasons that carry the case's values (Finding.args) into the translated text: a platform's
name with the characters counted and its limit, the draft's and the thread's languages by
their names. Texts are translated when they are read, in the language active then.
"""

from __future__ import annotations

from typing import NamedTuple

from django.utils.functional import Promise
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from playbooks.tone import Finding


class ToneText(NamedTuple):
    label: Promise | str
    reason: Promise | str
    suggestion: Promise | str


TEXTS: dict[str, ToneText] = {
    "confrontational": ToneText(
        _("Confrontational"),
        _("Contradicts or lectures the reader ('that's not true', 'calm down')."),
        _("Acknowledge the concern and state the facts without arguing."),
    ),
    "defensive": ToneText(
        _("Defensive"),
        _("Defends the brand instead of helping ('not our fault', 'our policy')."),
        _("Say what the brand is doing about it."),
    ),
    "blame": ToneText(
        _("Blames the reader"),
        _("Blames the reader ('you should have', 'your fault')."),
        _("Say what the brand will do instead."),
    ),
    "sarcasm": ToneText(
        _("Sarcasm"),
        _("Reads as sarcastic or ironic ('yeah right', 'so-called', an eye-roll)."),
        _("Say it plainly; irony does not survive a screenshot."),
    ),
    "emotional": ToneText(
        _("Emotional"),
        _("Emotional rather than factual (strong words, intensifiers, emoji)."),
        _("State what happened, what is being done and when the next update comes."),
    ),
    "exclamations": ToneText(
        _("Exclamation marks"),
        _("More than one exclamation mark reads as agitated."),
        _("Use one at most, or none."),
    ),
    "caps": ToneText(
        _("Capitals"),
        _("Words in capitals read as shouting."),
        _("Write them in normal case; rephrase for emphasis."),
    ),
    "too_long": ToneText(
        _("Too long"),
        # Translators: platform is a name such as "X" or "LinkedIn"; count and limit are numbers.
        _("Too long for %(platform)s: %(count)s characters, the limit is %(limit)s."),
        _("Shorten it and link the Q&A page for the details."),
    ),
    "no_qa_link": ToneText(
        _("No Q&A link"),
        _("No link to the Q&A page during an incident."),
        _("Add the Q&A page's link so every answer points to the same information."),
    ),
    "language": ToneText(
        _("Other language"),
        # Translators: both are names of languages ("Swedish"), in the page's language.
        _("Written in another language (%(draft)s) than the thread (%(thread)s)."),
        _("Answer in the language of the thread."),
    ),
    "questions": ToneText(
        _("Several questions"),
        _("Asks the reader more than one question."),
        _("Ask one question at most, or move the conversation to a direct message."),
    ),
    "too_detailed": ToneText(
        _("Too detailed"),
        _("More than three sentences: the answer need not be detailed here."),
        _("Keep to what is known and link the Q&A page for the rest."),
    ),
}


def language_name(code: str) -> str:
    """A language's name in the active language ("Zweeds" for "sv" on a Dutch page); the code
    itself for one Django does not know."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _reason(finding: Finding, template: Promise | str) -> str:
    args = finding.args
    if finding.code == "too_long" and len(args) == 3:
        return str(template) % {"platform": args[0], "count": args[1], "limit": args[2]}
    if finding.code == "language" and len(args) == 2:
        return str(template) % {
            "draft": language_name(str(args[0])),
            "thread": language_name(str(args[1])),
        }
    if finding.code in ("too_long", "language"):
        # Its values are missing (a Finding made by hand): the pure module's own words.
        return finding.reason
    return str(template)


def tone_words(finding: Finding) -> tuple[str, str, str]:
    """(label, reason, suggestion) of `finding` in the active language. A code this module
    does not know yet keeps the pure module's English words."""
    texts = TEXTS.get(finding.code)
    if texts is None:
        return finding.code.replace("_", " ").capitalize(), finding.reason, finding.suggestion
    return str(texts.label), _reason(finding, texts.reason), str(texts.suggestion)

"""The forms of a person's notifications page (/me/notifications/): what they may send, checked
with field errors before agency.notifications checks the rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agency.models import ContactMethod
from agency.notifications import MAX_RULES

# A rule waits at most this long after the page (the model's check constraint).
MAX_AFTER_MINUTES = 240
# Rows of the rules editor shown beyond the filled ones.
EMPTY_ROWS = 2

# The help of the apprise field: (service, URL pattern). Every scheme here is one apprise knows
# (tests/agency/test_contact_pages.py checks it). Microsoft Teams retired its connectors
# (msteams://); apprise reaches Teams through a Power Automate workflow.
APPRISE_EXAMPLES: list[tuple[Any, str]] = [
    (_("Telegram"), "tgram://{bot_token}/{chat_id}"),
    (_("Slack"), "slack://{token_a}/{token_b}/{token_c}/#{channel}"),
    (_("Microsoft Teams (a workflow)"), "workflows://{host}:{port}/{workflow}/{signature}"),
    (_("Signal (signal-cli REST API)"), "signal://{host}:{port}/{from_phone}/{to_phone}"),
    (_("ntfy"), "ntfy://{topic}"),
    (_("Pushover"), "pover://{user_key}@{app_token}"),
    (_("SMS by Twilio"), "twilio://{account_sid}:{auth_token}@{from_phone}/{to_phone}"),
    (_("SMS by Vonage"), "vonage://{key}:{secret}@{from_phone}/{to_phone}"),
    (_("SMS by MessageBird"), "msgbird://{api_key}/{from_phone}/{to_phone}"),
    (_("SMS by your own gateway (SMSEagle)"), "smseagle://{token}@{host}/{to_phone}"),
]


class EmailMethodForm(forms.Form):
    target = forms.EmailField(label=_("E-mail address"), max_length=254)
    label = forms.CharField(
        label=_("Name (optional)"),
        max_length=100,
        required=False,
        help_text=_("How you tell it apart, e.g. private or work."),
    )


class AppriseMethodForm(forms.Form):
    target = forms.CharField(
        label=_("The service's apprise URL"),
        max_length=2000,
        help_text=_(
            "It carries the service's token: it is stored encrypted and shown only as its "
            "scheme and host."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}
        ),
    )
    label = forms.CharField(
        label=_("Name (optional)"),
        max_length=100,
        required=False,
        help_text=_("How you tell it apart, e.g. team channel or my phone by SMS."),
    )


def method_choice_label(method: ContactMethod) -> str:
    text = f"{method.get_kind_display()}: {method.label or method.target_hint}"
    if method.verified_at is None:
        return f"{text} ({_('waiting for your confirmation')})"
    return text


class RulesForm(forms.Form):
    """Rows of (method, after N minutes); a row without a method is left out. The rules as
    notification_rules_set takes them are `cleaned_data["rules"]`."""

    def __init__(self, *args: Any, methods: list[ContactMethod], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(none)")), *[(m.pk, method_choice_label(m)) for m in methods]]
        for n in range(MAX_RULES):
            self.fields[f"method_{n}"] = forms.TypedChoiceField(
                label=_("Reach me by"),
                choices=choices,
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.fields[f"after_{n}"] = forms.IntegerField(
                label=_("after (minutes)"),
                min_value=0,
                max_value=MAX_AFTER_MINUTES,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    @classmethod
    def initial_for(cls, rules: list[tuple[int, int]]) -> dict[str, int]:
        initial: dict[str, int] = {}
        for n, (method_id, minutes) in enumerate(rules[:MAX_RULES]):
            initial[f"method_{n}"] = method_id
            initial[f"after_{n}"] = minutes
        return initial

    def _filled(self, n: int) -> bool:
        names = (f"method_{n}", f"after_{n}")
        if self.is_bound:
            return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in names)
        return any(self.initial.get(name) not in (None, "") for name in names)

    def rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField]]:
        """The rows to show: each filled one and a few empty ones."""
        last = max((n for n in range(MAX_RULES) if self._filled(n)), default=-1)
        shown = min(MAX_RULES, max(3, last + 1 + EMPTY_ROWS))
        return [(n + 1, self[f"method_{n}"], self[f"after_{n}"]) for n in range(shown)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        rules: list[tuple[int, int]] = []
        for n in range(MAX_RULES):
            method, after = f"method_{n}", f"after_{n}"
            if method in self.errors or after in self.errors:
                continue
            method_id, minutes = cleaned.get(method), cleaned.get(after)
            if method_id is None:
                if minutes is not None:
                    self.add_error(method, _("Pick a method for these minutes, or clear them."))
                continue
            minutes = minutes or 0
            if (method_id, minutes) in rules:
                self.add_error(after, _("This method is already reached at this minute."))
                continue
            rules.append((method_id, minutes))
        cleaned["rules"] = rules
        return cleaned

    def first_field(self) -> str:
        """Where an error about the rules as a whole is shown: the first filled row."""
        for n in range(MAX_RULES):
            if self._filled(n):
                return f"method_{n}"
        return "method_0"

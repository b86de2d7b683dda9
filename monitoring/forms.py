"""The brand pages' forms: what a person may send, checked with field errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agency.api_base import jsonb_refusal
from agency.models import Role
from clients.models import zone_or_utc
from monitoring.models import (
    AlertStatus,
    BrandSettings,
    Channel,
    DeadLetterStatus,
    Level,
    Platform,
    Sentiment,
    Source,
    SourceKind,
    WaveStatus,
)
from monitoring.services import BIN_MINUTES, EDITABLE_SETTINGS
from monitoring.services.alerts import MAX_NOTE
from monitoring.services.imports import IMPORT_SUFFIXES
from monitoring.services.watch import MAX_NOTE as MAX_WATCH_NOTE


class AlertFiltersForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("any level")), *Level.choices[1:]]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any status")), *AlertStatus.choices]
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("What was done (optional)"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WatchCheckForm(forms.Form):
    """A check of the watch log: quiet when no alert is cited (monitoring.services.watch)."""

    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=MAX_WATCH_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    alert = forms.TypedChoiceField(
        label=_("See alert (optional)"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, alerts: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alert"].choices = [("", _("none: all quiet")), *alerts]  # type: ignore[attr-defined]


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this is noise"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why this is noise.")},
    )


# How far back a range reaches from now, on the mentions page.
RANGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# The largest id PostgreSQL's bigint holds: a bigger one names nothing, and is no query.
MAX_ID = 2**63 - 1


class MentionFiltersForm(forms.Form):
    """The filters of the API's mention list (monitoring.api.intake.MentionFilters), under the
    same names, for a person: dates typed in the brand's zone, or a range back from now."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=500, widget=forms.SearchInput()
    )
    platform = forms.ChoiceField(
        label=_("Platform"), required=False, choices=[("", _("any platform")), *Platform.choices]
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"),
        required=False,
        choices=[("", _("any sentiment")), *Sentiment.choices],
    )
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int, empty_value=None)
    range = forms.ChoiceField(
        label=_("Posted"),
        required=False,
        choices=[
            ("", _("any time")),
            ("1h", _("in the last hour")),
            ("24h", _("in the last 24 hours")),
            ("7d", _("in the last 7 days")),
            ("30d", _("in the last 30 days")),
        ],
    )
    since = forms.DateTimeField(
        label=_("From"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    wave = forms.IntegerField(label=_("Wave"), required=False, min_value=1, max_value=MAX_ID)
    multipliers = forms.BooleanField(label=_("Multipliers only"), required=False)

    def __init__(self, data: Any, *, sources: list[tuple[int, str]], zone: str) -> None:
        super().__init__(data)
        self.fields["source"].choices = [("", _("any source")), *sources]  # type: ignore[attr-defined]
        self.zone = zone_or_utc(zone)

    # The filters a person reaches for first; the others fold away until one is used.
    FIRST = ("q", "platform", "sentiment", "range")

    def first_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FIRST]

    def more_fields(self) -> list[forms.BoundField]:
        return [field for field in self if field.name not in self.FIRST]

    def more_used(self) -> bool:
        return any(self.data.get(field.name) for field in self.more_fields())

    def full_clean(self) -> None:
        # A date typed without an offset is in the brand's zone, as the page shows times.
        with timezone.override(self.zone):
            super().full_clean()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until, back = data.get("since"), data.get("until"), data.get("range")
        if back and (since or until):
            self.add_error("range", _("Choose a range or dates, not both."))
        elif back:
            data["since"] = timezone.now() - RANGES[back]
        if since and until and since >= until:
            self.add_error("until", _("Must be after the start."))
        return data

    def selection(self) -> dict[str, Any]:
        """The keyword arguments of monitoring.selectors.mentions_filter (a valid form)."""
        data = self.cleaned_data
        return {
            "platform": data["platform"] or None,
            "source_id": data["source"],
            "since": data["since"],
            "until": data["until"],
            "q": data["q"] or None,
            "sentiment": data["sentiment"] or None,
            "wave_id": data["wave"],
            "multipliers_only": data["multipliers"],
        }

    def api_query(self) -> str:
        """The same selection as the API's query string (for its CSV export)."""
        data = self.cleaned_data
        query: dict[str, str] = {
            name: str(data[name])
            for name in ("q", "platform", "sentiment", "source", "wave")
            if data.get(name)
        }
        for name in ("since", "until"):
            moment: datetime | None = data.get(name)
            if moment:
                query[name] = moment.isoformat()
        if data.get("multipliers"):
            query["multipliers"] = "true"
        return urlencode(query)


class WaveFiltersForm(forms.Form):
    """The filters of the API's wave list (monitoring.api.alerts.WaveFilters)."""

    level = forms.ChoiceField(
        label=_("Peak level"), required=False, choices=[("", _("any level")), *Level.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any status")), *WaveStatus.choices]
    )


# Each watch setting as a person reads it: its name, its unit, what it means.
SETTING_TEXTS = {
    "multiplier_min_followers": (
        _("Multiplier"),
        _("followers"),
        _(
            "A post's author with at least this many followers is a multiplier: one of their "
            "posts can start a wave."
        ),
    ),
    "bin_minutes": (
        _("Detection bin"),
        _("minutes"),
        _(
            "Mentions are counted per bin of this many minutes, and each bin is compared with "
            "the usual for that hour and weekday. It must divide an hour: %(sizes)s."
        ),
    ),
    "first_response_minutes": (
        _("First answer within"),
        _("minutes"),
        _("How soon after an alert the brand's first public answer should be out."),
    ),
    "qa_page_url": (
        _("Crisis Q&A page"),
        "",
        _("Where the brand publishes its questions and answers during a crisis (may be empty)."),
    ),
    "wave_min_negative_authors": (
        _("Fewest negative authors"),
        _("authors"),
        _(
            "Fewer people than this posting negatively, none of them a multiplier, is noise "
            "however unusual the count: one angry customer posting five times is still one."
        ),
    ),
    "issue_negative_ratio": (
        _("Issue: negative volume"),
        _("times the usual"),
        _(
            "Negative mentions at least this many times the usual for the hour and weekday "
            "count towards an issue…"
        ),
    ),
    "issue_min_negative": (
        _("Issue: fewest negative mentions"),
        _("negative mentions"),
        _("…when the wave also holds at least this many negative mentions."),
    ),
    "crisis_negative_ratio": (
        _("Crisis: negative volume"),
        _("times the usual"),
        _(
            "Negative mentions at least this many times the usual for the hour and weekday "
            "count towards a crisis…"
        ),
    ),
    "crisis_min_negative": (
        _("Crisis: fewest negative mentions"),
        _("negative mentions"),
        _("…when the wave also holds at least this many negative mentions."),
    ),
    "check_every_minutes_day": (
        _("Check by day at least every"),
        _("minutes"),
        _(
            "In the day, someone on duty must look at the brand and record it in the watch "
            "log at least this often; longer without a check shows the brand as due."
        ),
    ),
    "check_every_minutes_night": (
        _("Check by night at least every"),
        _("minutes"),
        _("The same at night, from when the night starts until it ends."),
    ),
    "night_starts": (
        _("Night starts at"),
        _("brand's local time"),
        _("From this time on the brand's clock the night interval applies."),
    ),
    "night_ends": (
        _("Night ends at"),
        _("brand's local time"),
        _(
            "From this time the day interval applies again. The night may run past midnight "
            "(20:00 to 08:00); it must start and end at different times."
        ),
    ),
}


def _formfield(field: models.Field[Any, Any]) -> forms.Field:
    extra: dict[str, Any] = {"assume_scheme": "https"} if isinstance(field, models.URLField) else {}
    formfield = field.formfield(**extra)
    assert formfield is not None
    return formfield


class BrandSettingsForm(forms.Form):
    """The brand's watch settings, every one at once. Each field checks the model field's own
    validators, the rules the API's serializer applies; monitoring.services.brand_settings_update
    checks the rest (bin sizes) and its SettingsError becomes the field's error."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        sizes = ", ".join(map(str, BIN_MINUTES))
        fields = forms.fields_for_model(
            BrandSettings, fields=EDITABLE_SETTINGS, formfield_callback=_formfield
        )
        for name, field in fields.items():
            assert field is not None
            label, unit, help_text = SETTING_TEXTS[name]
            field.label = label
            field.help_text = help_text % {"sizes": sizes} if name == "bin_minutes" else help_text
            field.unit = unit  # type: ignore[attr-defined]
            if isinstance(field, forms.TimeField):
                field.widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            # The model's validators replace the form field's own range, so that a value out
            # of range gets one message, the model's (which the API gives too).
            model_field = BrandSettings._meta.get_field(name)
            assert isinstance(model_field, models.Field)
            field.validators = list(model_field.validators)
            self.fields[name] = field


class MemberGrantForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(
        label=_("Role on this brand"),
        choices=[
            (Role.AGENCY_STAFF.value, _("Agency staff: works on the brand")),
            (Role.CLIENT_VIEWER.value, _("Client viewer: reads only")),
        ],
    )


class MemberRevokeForm(forms.Form):
    email = forms.EmailField(max_length=254)


class DeadLetterFiltersForm(forms.Form):
    """The dead letters' filters; a value that is not valid is dropped, the others kept."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any status")), *DeadLetterStatus.choices],
    )
    channel = forms.ChoiceField(
        label=_("Door"), required=False, choices=[("", _("any door")), *Channel.choices]
    )
    source = forms.TypedChoiceField(
        label=_("Source"), required=False, coerce=int, empty_value=None, choices=[]
    )
    q = forms.CharField(label=_("Reason contains"), required=False, max_length=200)
    # The import whose rows these were (the imports page links here).
    job = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, sources: list[Source], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["source"]
        field.choices = [("", _("any source")), *((s.pk, str(s)) for s in sources)]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The filters that were given and are valid."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}


class ReplayForm(forms.Form):
    payload = forms.CharField(
        label=_("The item, corrected if need be (JSON)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        error_messages={"required": _("Give the item to replay, as JSON.")},
    )

    def clean_payload(self) -> Any:
        # The API's JSON reading: orjson refuses NaN, lone surrogates and deep nesting, and
        # jsonb_refusal what PostgreSQL cannot store.
        try:
            value = orjson.loads(self.cleaned_data["payload"])
        except orjson.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON: %(why)s"), params={"why": str(exc)}
            ) from exc
        refusal = jsonb_refusal(value)
        if refusal:
            raise forms.ValidationError(refusal)
        return value


class DeadLetterDiscardForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is discarded"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why it is discarded.")},
    )


# What the imports page takes: the suffixes monitoring.connectors.exports reads, and a size a
# worker reads in minutes.


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Export file (CSV, JSON or JSON lines)"),
        widget=forms.FileInput(attrs={"accept": ",".join(IMPORT_SUFFIXES)}),
    )
    source = forms.TypedChoiceField(label=_("Into source"), coerce=int, choices=[])
    timezone = forms.CharField(
        label=_("Time zone of times without one"),
        max_length=64,
        help_text=_("An IANA name, such as Europe/Amsterdam or UTC."),
    )

    def __init__(self, *args: Any, sources: list[Source], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No source preselected: an export read into the wrong source is the wrong platform's.
        self.fields["source"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose the source these mentions belong to")),
            *((s.pk, str(s)) for s in sources),
        ]


# --- Sources ------------------------------------------------------------------------------------


class SafeJSONField(forms.JSONField):
    """JSON typed into a textarea; nesting too deep for Python's parser is a field error."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return data

    def prepare_value(self, value: Any) -> str:
        if value is None:  # nothing typed yet: an empty box, not "null"
            return ""
        try:
            text = str(super().prepare_value(value))
        except RecursionError:
            return ""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, refused: shown escaped, as it was typed
            return json.dumps(value, cls=self.encoder)
        return text


class SecretTextarea(forms.Textarea):
    """A textarea that never renders what was sent back into the page (a secret)."""

    def format_value(self, value: Any) -> str | None:
        return None


class ApiValidatedForm(forms.Form):
    """A form whose values then pass the API's own SourceSerializer, so that the page and the
    API accept and refuse the same sources; its errors land on the form's fields."""

    instance: Source | None = None
    validated: dict[str, Any]

    def api_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k in self.fields}

    def check_with_api(self, instance: Source | None = None) -> dict[str, Any]:
        from monitoring.api.intake import SourceSerializer

        serializer = SourceSerializer(instance, data=self.api_data(), partial=instance is not None)
        if serializer.is_valid():
            return dict(serializer.validated_data)
        for name, errors in serializer.errors.items():
            messages = errors if isinstance(errors, list) else [str(errors)]
            self.add_error(name if name in self.fields else None, [str(m) for m in messages])
        return {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            self.validated = self.check_with_api(self.instance)
        return cleaned


SETTINGS_HELP = _('A JSON object, e.g. {"query": "alpha bakery"} or {"url": "https://…/feed"}.')


class _SourceFields(ApiValidatedForm):
    """What a source's own settings form and the form that adds one both ask."""

    name = forms.CharField(label=_("Name"), max_length=200)
    pull = forms.BooleanField(
        label=_("Poll the platform's API"),
        label_suffix="",
        required=False,
        help_text=_("Off: the source takes webhooks and imports only."),
    )
    settings = SafeJSONField(
        label=_("Settings"),
        required=False,
        help_text=SETTINGS_HELP,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    expected_per_hour = forms.FloatField(
        label=_("Mentions expected per hour"),
        required=False,
        min_value=0,
        help_text=_("Empty: learned from the source's own history."),
    )


class SourceCreateForm(_SourceFields):
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=SourceKind.choices)
    credentials = SafeJSONField(
        label=_("Credentials"),
        required=False,
        help_text=_('A JSON object of secrets, e.g. {"bearer_token": "…"}. Never shown again.'),
        widget=SecretTextarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}),
    )
    field_order = ["name", "platform", "kind", "pull", "settings", "credentials"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["settings"].widget.attrs["rows"] = 3

    def api_data(self) -> dict[str, Any]:
        data = super().api_data()
        for name in ("settings", "credentials"):
            if data.get(name) is None:
                data.pop(name, None)
        return data


class SourceSettingsForm(_SourceFields):
    def __init__(self, *args: Any, instance: Source, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": instance.name,
                "pull": instance.pull,
                "settings": instance.settings,
                "expected_per_hour": instance.expected_per_hour,
            },
        )
        super().__init__(*args, **kwargs)
        self.instance = instance

    def api_data(self) -> dict[str, Any]:
        data = super().api_data()
        if data.get("settings") is None:
            data["settings"] = {}
        return data


class SourceCredentialsForm(ApiValidatedForm):
    """Write only: a password input per credential, empty whatever is stored; a box to remove
    one that is set; and a name and value to add another."""

    new_name = forms.CharField(
        label=_("Another credential: its name"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    new_value = forms.CharField(
        label=_("Its value"),
        required=False,
        max_length=4000,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(
        self, *args: Any, instance: Source, names: list[tuple[str, str, bool]], **kwargs: Any
    ) -> None:
        """`names`: (key, what it is, whether it is set) for each credential to offer."""
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.names = names
        for n, (key, what, held) in enumerate(names):
            self.fields[f"value_{n}"] = forms.CharField(
                label=key,
                required=False,
                max_length=4000,
                strip=False,
                help_text=what,
                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
            )
            if held:
                self.fields[f"remove_{n}"] = forms.BooleanField(
                    label=_("Remove %(name)s") % {"name": key}, label_suffix="", required=False
                )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "key": key,
                "held": held,
                "value": self[f"value_{n}"],
                "remove": self[f"remove_{n}"] if held else None,
            }
            for n, (key, _what, held) in enumerate(self.names)
        ]

    def api_data(self) -> dict[str, Any]:
        credentials: dict[str, Any] = {}
        for n, (key, _what, _held) in enumerate(self.names):
            if self.cleaned_data.get(f"remove_{n}"):
                credentials[key] = None
            elif self.cleaned_data.get(f"value_{n}"):
                credentials[key] = self.cleaned_data[f"value_{n}"]
        name, value = self.cleaned_data.get("new_name", ""), self.cleaned_data.get("new_value")
        if name and value:
            credentials[name] = value
        return {"credentials": credentials}

    def clean(self) -> dict[str, Any]:
        name, value = self.cleaned_data.get("new_name"), self.cleaned_data.get("new_value")
        if name and not value:
            self.add_error("new_value", _("Give the value of %(name)s.") % {"name": name})
        elif value and not name:
            self.add_error("new_name", _("Name the credential this value is for."))
        if not self.errors and not self.api_data()["credentials"]:
            raise forms.ValidationError(_("Type a new value, or tick one to remove."))
        return super().clean()


class EscalationPolicyForm(forms.Form):
    """The brand's escalation steps as rows (an empty row is no step), and its options."""

    ROWS = 6

    repeat = forms.IntegerField(
        label=_("Start the chain again"),
        min_value=0,
        max_value=10,
        help_text=_("How many more times, when nobody acknowledged."),
    )
    watch_waits_for_morning = forms.BooleanField(
        label=_("A watch raised at night waits for the morning"),
        required=False,
        help_text=_("Issues and crises never wait."),
    )
    morning_at = forms.TimeField(
        label=_("Morning starts at"),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from monitoring.models import EscalationTarget

        choices = [("", _("(no step)")), *EscalationTarget.choices]
        for n in range(self.ROWS):
            self.fields[f"target_{n}"] = forms.ChoiceField(
                label=_("Step %(n)d") % {"n": n + 1}, choices=choices, required=False
            )
            self.fields[f"wait_{n}"] = forms.IntegerField(
                label=_("then wait (minutes)"), min_value=1, max_value=240, required=False
            )

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [
            {"n": n + 1, "target": self[f"target_{n}"], "wait": self[f"wait_{n}"]}
            for n in range(self.ROWS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        steps = []
        for n in range(self.ROWS):
            target, wait = data.get(f"target_{n}"), data.get(f"wait_{n}")
            if target:
                if wait is None:
                    self.add_error(f"wait_{n}", _("How long to wait before the next step?"))
                else:
                    steps.append((target, wait))
        if not steps and not self.errors:
            raise forms.ValidationError(_("Give at least one step."))
        data["steps"] = steps
        return data

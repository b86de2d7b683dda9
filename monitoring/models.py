"""Per-brand monitoring state, stored in the brand's own schema."""

import uuid
from datetime import time

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BrandSettings(models.Model):
    """The brand's watch settings: one row per brand schema, created at onboarding.

    Defaults follow the source articles: a grumpy post by a small account is noise; a post
    picked up by an account past `multiplier_min_followers` is what turns a wave into a crisis;
    the first answer should go out within `first_response_minutes`.
    """

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    multiplier_min_followers = models.PositiveIntegerField(
        default=10_000, validators=[MinValueValidator(100)]
    )
    bin_minutes = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    first_response_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    qa_page_url = models.URLField(blank=True)
    # Verdict thresholds (monitoring.analysis.verdict): fewer negative authors than this, with
    # no multiplier among them, is noise however unusual the count.
    wave_min_negative_authors = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    issue_negative_ratio = models.FloatField(
        default=5.0, validators=[MinValueValidator(1.5), MaxValueValidator(1000)]
    )
    issue_min_negative = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(2), MaxValueValidator(1_000_000)]
    )
    crisis_negative_ratio = models.FloatField(
        default=10.0, validators=[MinValueValidator(2), MaxValueValidator(1000)]
    )
    crisis_min_negative = models.PositiveIntegerField(
        default=40, validators=[MinValueValidator(3), MaxValueValidator(1_000_000)]
    )
    # The watch log (WatchCheck): how often someone must look, by day and by night, night
    # being from `night_starts` to `night_ends` on the brand's wall clock (it may span midnight).
    check_every_minutes_day = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    check_every_minutes_night = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(5), MaxValueValidator(24 * 60)]
    )
    night_starts = models.TimeField(default=time(20, 0))
    night_ends = models.TimeField(default=time(8, 0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "brand settings"
        constraints = [
            models.CheckConstraint(name="singleton_true", condition=models.Q(singleton=True)),
        ]

    def __str__(self) -> str:
        return "brand settings"


class Platform(models.TextChoices):
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"
    WHATSAPP = "whatsapp", "WhatsApp"
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"
    REDDIT = "reddit", "Reddit"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    NEWS = "news", _("News / RSS")
    REVIEWS = "reviews", _("Review sites")
    OTHER = "other", _("Other")


class SourceKind(models.TextChoices):
    OWNED = "owned", _("Owned account or page")
    KEYWORD = "keyword", _("Keyword query")
    HASHTAG = "hashtag", _("Hashtag")
    FEED = "feed", _("Feed")


class Source(models.Model):
    """Where mentions come from: one account, query, hashtag or feed on one platform."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    platform = models.CharField(max_length=20, choices=Platform.choices)
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    settings = models.JSONField(default=dict, blank=True)
    # Fernet token of a JSON object (agency.crypto); never leaves the server.
    credentials_encrypted = models.TextField(blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    # Mentions per hour this source normally yields; None: learned from its own history.
    expected_per_hour = models.FloatField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    # Polling of the platform's API (monitoring.services.polling); push and import sources
    # leave it off.
    pull = models.BooleanField(default=False)
    poll_cursor = models.JSONField(default=dict, blank=True, editable=False)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    poll_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(
                fields=["next_poll_at"], name="source_poll_due", condition=models.Q(pull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"


class Author(models.Model):
    """Someone who posts about the brand, per platform; reach is their follower count."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=300, blank=True)
    followers = models.BigIntegerField(null=True, blank=True)
    followers_updated_at = models.DateTimeField(null=True, blank=True)
    is_ambassador = models.BooleanField(default=False)
    is_journalist = models.BooleanField(default=False)
    is_influencer = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="author_unique_handle")
        ]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.platform})"


class AuthorReach(models.Model):
    """An author's follower count as seen at one moment: reach over time."""

    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="reach")
    followers = models.BigIntegerField()
    observed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "observed_at"], name="reach_unique_moment")
        ]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.followers} at {self.observed_at:%Y-%m-%d %H:%M}"


class Sentiment(models.TextChoices):
    POSITIVE = "pos", _("Positive")
    NEUTRAL = "neu", _("Neutral")
    NEGATIVE = "neg", _("Negative")


class ReachTier(models.TextChoices):
    """An author's follower count in bands, as a person reads it."""

    UNKNOWN = "", _("Unknown")
    NANO = "nano", _("Under 1,000")
    MICRO = "micro", _("1,000-10,000")
    MID = "mid", _("10,000-100,000")
    MACRO = "macro", _("100,000-1 million")
    MEGA = "mega", _("Over 1 million")


class Mention(models.Model):
    """One post, comment, reply or message about the brand. Unique per source and external id,
    so ingesting it twice changes nothing."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="mentions")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    external_id = models.CharField(max_length=200)
    url = models.URLField(max_length=1000, blank=True)
    author = models.ForeignKey(Author, null=True, blank=True, on_delete=models.SET_NULL)
    text = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    posted_at = models.DateTimeField()
    received_at = models.DateTimeField()
    thread_id = models.CharField(max_length=200, blank=True)
    parent_id = models.CharField(max_length=200, blank=True)
    # None: the platform did not say (not zero).
    likes = models.BigIntegerField(null=True, blank=True)
    shares = models.BigIntegerField(null=True, blank=True)
    comments = models.BigIntegerField(null=True, blank=True)
    views = models.BigIntegerField(null=True, blank=True)
    raw = models.JSONField(default=dict)
    # A share of another post of the platform (retweet, reblog, crosspost): its external id.
    # Reach and spread, not a voice of its own: detection does not count it as a negative one.
    repost_of = models.CharField(max_length=200, blank=True, db_default="")
    # The platform said the post was deleted or removed: kept for the record, out of the
    # counts. An edit replaces the text and counts and makes processing read it again.
    deleted_at = models.DateTimeField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Enrichment, written once by processing (monitoring.services.detection). Database
    # defaults: ingestion COPYs rows without these columns.
    sentiment = models.CharField(max_length=3, choices=Sentiment.choices, blank=True, db_default="")
    sentiment_score = models.FloatField(null=True, blank=True)
    emotional = models.BooleanField(null=True, blank=True)
    reach_tier = models.CharField(
        max_length=6, choices=ReachTier.choices, blank=True, db_default=""
    )
    # As the author stood when the mention was processed: reach and lists change later.
    is_multiplier = models.BooleanField(db_default=False)
    is_ambassador = models.BooleanField(db_default=False)
    wave = models.ForeignKey(
        "Wave", null=True, blank=True, on_delete=models.SET_NULL, related_name="mentions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="mention_unique_per_source"
            )
        ]
        indexes = [
            models.Index(fields=["-posted_at", "-id"], name="mention_posted"),
            models.Index(fields=["source", "-received_at"], name="mention_source_received"),
            models.Index(fields=["author", "-posted_at"], name="mention_author_posted"),
            models.Index(
                fields=["received_at"],
                name="mention_unprocessed",
                condition=models.Q(processed_at__isnull=True),
            ),
            # The few posts stored without their text (known by ids only), which a later item
            # may fill in: a re-sent batch looks them up here, not in the whole table.
            models.Index(
                fields=["source", "external_id"],
                name="mention_without_text",
                condition=models.Q(text=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class MentionSearch(models.Model):
    """A mention's text stemmed in its own language, for full-text search (see textsearch)."""

    mention = models.OneToOneField(
        Mention, primary_key=True, on_delete=models.CASCADE, related_name="search"
    )
    language = models.CharField(max_length=8, blank=True)
    document = SearchVectorField()

    class Meta:
        indexes = [GinIndex(fields=["document"], name="mention_search_document")]

    def __str__(self) -> str:
        return f"search document of mention {self.mention_id}"


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    POLL = "poll", _("Polling")


class DeadLetterStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REPLAYED = "replayed", _("Replayed")
    DISCARDED = "discarded", _("Discarded")


class DeadLetter(models.Model):
    """A rejected item, kept as it came with the reasons, to inspect and replay after a fix."""

    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    payload = models.JSONField(null=True, blank=True)
    # What was received, as text a person can read: the item's exact JSON, or the bytes of a
    # body or item that was not JSON (undecodable bytes escaped as \xNN).
    raw_body = models.TextField(blank=True)
    # The bytes exactly as received, when they could not be read as JSON at all.
    raw_bytes = models.BinaryField(null=True, blank=True)
    errors = models.JSONField(default=list)
    batch_index = models.IntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=DeadLetterStatus.choices, default="open")
    received_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "-received_at"], name="deadletter_status")]

    def __str__(self) -> str:
        return f"dead letter {self.pk} ({self.channel}, {self.status})"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """A CSV/JSON export of another listening tool, ingested in chunks; progress is stored so a
    restarted worker resumes where the last committed chunk ended."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=300)
    path = models.CharField(max_length=500)
    file_format = models.CharField(max_length=10)
    # Naive times in the file are read in this zone.
    timezone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default="queued")
    total_rows = models.IntegerField(null=True)
    next_row = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    duplicates = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    error = models.TextField(blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.filename} ({self.status})"


class Level(models.TextChoices):
    """A wave's verdict, in rising order."""

    NOISE = "noise", _("Noise")
    WATCH = "watch", _("Watch")
    ISSUE = "issue", _("Issue")
    CRISIS = "crisis", _("Crisis")


LEVEL_ORDER = {level: rank for rank, level in enumerate(Level.values)}


class SeriesState(models.Model):
    """A volume detector's memory for one series of the brand ("all", "all:neg", "x", "x:neg"
    ...): the JSON state of monitoring.analysis.waves.VolumeDetector and the last bin it read."""

    key = models.CharField(max_length=40, unique=True)
    state = models.JSONField(default=dict)
    last_bin = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"series {self.key} to {self.last_bin}"


class VolumeBin(models.Model):
    """One closed bin of one series as the detector read it: for charts and reasons."""

    key = models.CharField(max_length=40)
    start = models.DateTimeField()
    count = models.PositiveIntegerField()
    expected = models.FloatField()
    score = models.FloatField()
    alert = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "start"], name="volumebin_unique_start")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.start:%Y-%m-%d %H:%M}: {self.count}"


class WaveStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Wave(models.Model):
    """A rise of attention around the brand, from its first triggering mention until it has
    been quiet for a while; its verdict and reasons are re-judged as it grows."""

    status = models.CharField(max_length=6, choices=WaveStatus.choices, default="open")
    started_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    origin_platform = models.CharField(max_length=20, choices=Platform.choices)
    level = models.CharField(max_length=6, choices=Level.choices, default="noise")
    peak_level = models.CharField(max_length=6, choices=Level.choices, default="noise")
    reasons = models.JSONField(default=list)
    figures = models.JSONField(default=dict)
    mention_count = models.PositiveIntegerField(default=0)
    negative_count = models.PositiveIntegerField(default=0)
    judged_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # At most one open wave per brand: the detection run holds the brand's lock.
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="open"), name="wave_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"wave {self.pk} ({self.level}, from {self.origin_platform})"


class AlertStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed as noise")


class Alert(models.Model):
    """One per wave that reached watch or above, updated as the wave grows.

    Who acted is kept as an e-mail address: users live in the public schema, and a foreign
    key from a brand's table to them would break deleting a user."""

    wave = models.OneToOneField(Wave, on_delete=models.CASCADE, related_name="alert")
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default="new")
    level = models.CharField(max_length=6, choices=Level.choices)
    title = models.CharField(max_length=300)
    reasons = models.JSONField(default=list)
    origin_platform = models.CharField(max_length=20, choices=Platform.choices)
    opened_at = models.DateTimeField()
    # When the alert last rose a level (a person should look again).
    escalated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=254, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=254, blank=True)
    close_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["status", "-opened_at"], name="alert_status_opened")]

    def __str__(self) -> str:
        return f"alert {self.pk}: {self.title}"


class AlertEventKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ROSE = "rose", _("Rose a level")
    REOPENED = "reopened", _("Reopened")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed as noise")
    # Routing's (monitoring.services.escalation): a step paged people; nobody was on duty so
    # the fallback was paged; a watch at night waits for the morning; the chain ran out.
    PAGED = "paged", _("Paged")
    UNCOVERED = "uncovered", _("Nobody on duty")
    DEFERRED = "deferred", _("Waits for the morning")
    EXHAUSTED = "exhausted", _("Escalation ran out")


class AlertEvent(models.Model):
    """One transition of an alert, written by the service that made it
    (monitoring.services.alerts) in the same transaction: the alert's timeline. `level` is the
    alert's level after the change; `actor` the e-mail of who acted, blank for detection.
    Listed in the order the changes were written: `at` is the moment each service was given
    (detection's judging moment, a person's clock), and only the row order is causal."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=AlertEventKind.choices)
    level = models.CharField(max_length=6, choices=Level.choices)
    actor = models.CharField(max_length=254, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"alert {self.alert_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class MentionHour(models.Model):
    """How many mentions of one platform and sentiment were posted in one hour (UTC), shares
    apart: the rollup the dashboard and the reports read instead of the mentions table.

    Rebuilt for the hours a processing run touched (monitoring.services.rollups), so a late
    import, an edit or a deletion is counted as the mentions now stand."""

    hour = models.DateTimeField()
    platform = models.CharField(max_length=20, choices=Platform.choices)
    sentiment = models.CharField(max_length=3, choices=Sentiment.choices, blank=True)
    share = models.BooleanField()
    mentions = models.PositiveIntegerField()
    multiplier_mentions = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "platform", "sentiment", "share"], name="mentionhour_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.platform} {self.sentiment}: {self.mentions}"


class MultiplierDay(models.Model):
    """One multiplier's mentions of the brand on one day (UTC): the top multipliers of a range
    without reading the mentions table. Rebuilt with MentionHour."""

    day = models.DateField()
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="+")
    mentions = models.PositiveIntegerField()
    negative = models.PositiveIntegerField()
    followers = models.BigIntegerField(null=True)
    last_posted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "author"], name="multiplierday_unique")
        ]
        indexes = [models.Index(fields=["day"], name="multiplierday_day")]

    def __str__(self) -> str:
        return f"{self.day} author {self.author_id}: {self.mentions}"


class WatchOutcome(models.TextChoices):
    QUIET = "quiet", _("Quiet")
    ALERT = "alert", _("See alert")


class WatchCheck(models.Model):
    """Someone on duty looked at the brand: the proof for the client's reports, never edited.

    `by` is the e-mail of who checked (as Alert keeps people); `alert` an alert they cite,
    kept as null if the alert row ever goes."""

    checked_at = models.DateTimeField()
    by = models.CharField(max_length=254)
    note = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=5, choices=WatchOutcome.choices)
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="watch_checks"
    )

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["-checked_at", "-id"], name="watchcheck_newest")]

    def __str__(self) -> str:
        return f"{self.by} at {self.checked_at:%Y-%m-%d %H:%M}: {self.outcome}"


# --- Escalation (routing of alerts to people; monitoring.services.escalation) ---------------


class EscalationTarget(models.TextChoices):
    ON_DUTY = "on_duty", _("The person on duty (primary)")
    BACKUP = "backup", _("The backup on duty")
    ACCOUNT_MANAGER = "account_manager", _("The brand's account manager")
    DUTY_MANAGER = "duty_manager", _("The agency's duty manager")
    BRAND_STAFF = "brand_staff", _("Every agency staff member of this brand")


class EscalationPolicy(models.Model):
    """How the brand's alerts reach people: the steps in order, each waiting for an
    acknowledgement before the next; the whole chain repeated `repeat` times more. One per
    brand (created at onboarding)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    repeat = models.PositiveSmallIntegerField(
        default=2, help_text=_("How many times the chain starts again when nobody acknowledged.")
    )
    # A watch (the lowest alert level) raised at night waits for the morning, if the brand
    # wishes; an issue or a crisis never waits.
    watch_waits_for_morning = models.BooleanField(default=False)
    morning_at = models.TimeField(default=time(8, 0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "escalation policies"
        constraints = [
            models.CheckConstraint(condition=Q(repeat__lte=10), name="repeat_at_most_10")
        ]

    def __str__(self) -> str:
        return "escalation policy"


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    target = models.CharField(max_length=16, choices=EscalationTarget.choices)
    # Minutes to wait for an acknowledgement before the next step.
    wait_minutes = models.PositiveSmallIntegerField(default=5)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="escalationstep_position"),
            models.CheckConstraint(
                condition=Q(wait_minutes__gte=1, wait_minutes__lte=240), name="step_wait_1_240"
            ),
        ]

    def __str__(self) -> str:
        return f"step {self.position}: {self.target}, then {self.wait_minutes} min"


class EscalationState(models.TextChoices):
    ACTIVE = "active", _("Escalating")
    WAITING = "waiting", _("Waiting for the morning")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Alert closed")
    EXHAUSTED = "exhausted", _("Ran out of steps")
    SUPERSEDED = "superseded", _("Started again")


class Escalation(models.Model):
    """One run of the brand's policy for an alert (a rise or a reopening starts a new one).
    `token` names the one step run that may act next: a step task carries it, runs under the
    row's lock, and does nothing unless it still matches; each run stores a fresh one. The
    auditor resumes a run whose `next_at` is late by sending its current token again."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="escalations")
    level = models.CharField(max_length=6, choices=Level.choices)
    state = models.CharField(max_length=12, choices=EscalationState.choices)
    # The next step to run: its round (0, then each repeat) and position in the policy.
    round = models.PositiveSmallIntegerField(default=0)
    step = models.PositiveSmallIntegerField(default=0)
    token = models.UUIDField(null=True, blank=True)
    next_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # When each step actually ran against when it was due: [{"due", "ran", "step", "round"}].
    runs = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert"],
                condition=Q(state__in=["active", "waiting"]),
                name="one_live_escalation_per_alert",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_at"],
                condition=Q(state__in=["active", "waiting"]),
                name="escalation_due",
            )
        ]

    def __str__(self) -> str:
        return f"escalation {self.pk} of alert {self.alert_id} ({self.state})"

"""Per-brand monitoring state, stored in the brand's own schema."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "brand settings"
        constraints = [
            models.CheckConstraint(name="singleton_true", condition=models.Q(singleton=True)),
        ]

    def __str__(self) -> str:
        return "brand settings"

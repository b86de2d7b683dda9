"""Playbooks: the agency's templates from the articles' advice in three languages, copied to a
brand at onboarding in its language (and to no other brand, and not into the template schema
new brands are cloned from), and the choice of a playbook for a situation, explained."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time

import pytest
from django.db import connection

from agency.models import PlaybookTemplate
from clients import tenancy
from clients.services import client_onboard
from playbooks import choice, defaults
from playbooks.models import Playbook, PlaybookStep, ResponseSettings
from playbooks.selectors import playbook_choose

NIGHT_ORIGIN = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # Tuesday 00:30 in Amsterdam
TUESDAY_NOON = datetime(2026, 3, 3, 11, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)


def test_the_pure_modules_import_no_django():
    code = (
        "import sys; import playbooks.choice, playbooks.defaults; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_every_default_follows_the_articles_in_every_language():
    for template in defaults.TEMPLATES:
        blocks = [s.block for s in template.steps]
        # A first answer of some kind, soon; the Q&A page; the review at the end.
        assert {"holding_reply", "night_holding_reply", "apology", "stance"} & set(blocks)
        assert blocks[-1] == "review"
        dues = [s.due_minutes for s in template.steps]
        assert dues == sorted(dues) and dues[0] <= 10
        for language in defaults.LANGUAGES:
            name, rows = defaults.rows(template, language)
            assert name and all(r.title and r.instructions for r in rows)
    crisis = next(t for t in defaults.TEMPLATES if t.key == "crisis")
    assert {"qa_page", "employees", "ambassadors", "check_platforms"} <= {
        s.block for s in crisis.steps
    }
    reply = defaults.BLOCKS["holding_reply"]
    assert "Facebook" in reply["en"].instructions and "once" in reply["en"].instructions
    assert "één keer" in reply["nl"].instructions and "en gång" in reply["sv"].instructions


def test_the_choice_is_the_most_specific_fit_and_says_why():
    candidates = [
        choice.Candidate(1, "Crisis", level="crisis"),
        choice.Candidate(2, "Night crisis", level="crisis", timing="night"),
        choice.Candidate(
            3, "Night crisis, social origin", level="crisis", timing="night", platform="instagram"
        ),
        choice.Candidate(4, "Failure", origin="failure"),
    ]
    night = choice.Situation(level="crisis", timing="night", platform="instagram")
    picked = choice.choose(night, candidates)
    assert picked.candidate is not None and picked.candidate.key == 3
    assert picked.explanation({"instagram": "Instagram"}) == (
        "night + Instagram origin + crisis -> Night crisis, social origin"
    )
    assert choice.choose(night.__class__("crisis", "office", "x"), candidates).candidate.key == 1
    failure = choice.choose(choice.Situation("crisis", "night", "x", origin="failure"), candidates)
    assert failure.candidate.key == 4  # what happened weighs more than when
    nothing = choice.choose(choice.Situation("issue", "office"), candidates[:3])
    assert nothing.candidate is None and "No playbook" in nothing.explanation()


def test_timing_on_the_brands_clock():
    def timing(moment: datetime, holidays: tuple[date, ...] = ()) -> str:
        return choice.timing_of(
            moment, office_start=time(9), office_end=time(17), holidays=holidays
        )

    assert timing(datetime(2026, 3, 3, 10, 0)) == "office"
    assert timing(datetime(2026, 3, 3, 17, 0)) == "night"
    assert timing(datetime(2026, 3, 7, 10, 0)) == "weekend"
    assert timing(datetime(2026, 12, 25, 10, 0), (date(2026, 12, 25),)) == "holiday"


@pytest.mark.django_db
def test_templates_exist_in_three_languages():
    keys = {t.key for t in defaults.TEMPLATES}
    assert set(PlaybookTemplate.objects.values_list("key", flat=True)) == keys
    for language in defaults.LANGUAGES:
        assert PlaybookTemplate.objects.filter(language=language).count() == len(keys)


@pytest.mark.django_db
def test_a_brand_gets_the_playbooks_in_its_language_and_no_other_brand_sees_them(world):
    with tenancy.tenant_context(world.alpha):
        assert set(Playbook.objects.values_list("language", flat=True)) == {"nl"}
        night = Playbook.objects.get(template_key="night_crisis")
        assert night.name == "Nachtelijke crisis"
        assert night.steps.first().title == "Bevestig de melding en open het incident"
        Playbook.objects.filter(pk=night.pk).update(name="Alpha's own night")
        assert ResponseSettings.objects.exists()
    with tenancy.tenant_context(world.bravo):
        assert set(Playbook.objects.values_list("language", flat=True)) == {"sv"}
        assert not Playbook.objects.filter(name="Alpha's own night").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenant_template.playbooks_playbook")
        assert cursor.fetchone()[0] == 0  # clones start empty, onboarding fills them


@pytest.mark.django_db
def test_a_new_english_brand_gets_english_copies():
    client = client_onboard(
        name="Ember", slug="ember", timezone_name="Europe/London", language="en"
    )
    with tenancy.tenant_context(client):
        assert Playbook.objects.count() == len(defaults.TEMPLATES)
        assert set(Playbook.objects.values_list("language", flat=True)) == {"en"}
        assert PlaybookStep.objects.filter(kind="holding_reply").count() >= 5


@pytest.mark.django_db
def test_the_brand_chooses_its_playbook_by_its_own_clock(world):
    with tenancy.tenant_context(world.alpha):
        night, why = playbook_choose(
            client=world.alpha, level="crisis", platform="instagram", at=NIGHT_ORIGIN
        )
        assert night is not None and night.template_key == "night_crisis"
        assert why.explanation() == "night + crisis -> Nachtelijke crisis"
        day, _ = playbook_choose(client=world.alpha, level="crisis", platform="x", at=TUESDAY_NOON)
        assert day is not None and day.template_key == "crisis"
        weekend, _ = playbook_choose(client=world.alpha, level="crisis", platform="x", at=SATURDAY)
        assert weekend is not None and weekend.template_key == "weekend_crisis"
        leak, _ = playbook_choose(
            client=world.alpha, level="crisis", platform="x", at=NIGHT_ORIGIN, origin="leak"
        )
        assert leak is not None and leak.template_key == "leak"
        ResponseSettings.objects.update(holidays=["2026-03-03"])
        holiday, why = playbook_choose(
            client=world.alpha, level="issue", platform="x", at=TUESDAY_NOON
        )
        assert holiday is not None and holiday.template_key == "issue"  # none for holidays

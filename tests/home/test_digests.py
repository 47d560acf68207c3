"""Digests: built per member in their language and time zone, at the local hour, skipped
when nothing is new, through the outbox, once per member and period."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils.translation import gettext_noop

from connections.digests import schedule_digests, send_digest
from groups.models import Post
from profiles.models import DigestRun, EmailKind, EmailPreference, Notification, OutgoingEmail

ROME = ZoneInfo("Europe/Rome")
ANSWERED = gettext_noop("%(user)s answered “%(title)s” in %(group)s.")


def at(hour: int, day: int = 3, zone=ROME) -> datetime:
    # 2026-12-03 is a Thursday.
    return datetime(2026, 12, day, hour, 5, tzinfo=zone)


def answered(user, title, group="Copywriter Italia", scope=""):
    return Notification.send(
        user,
        "group-new-answer",
        ANSWERED,
        {"user": "Alice Romano", "title": title, "group": group},
        url="/gruppi/x/domande/1/",
        scope=scope,
        email_kind=EmailKind.ANSWERS,
    )


@pytest.fixture
def run_outbox(django_capture_on_commit_callbacks):
    """Publish what the block records (eager worker: the outbox intents run at commit)."""

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    return run


def test_the_daily_digest_goes_out_in_each_members_language(bob, alice, dave, run_outbox):
    alice.language = "en"
    alice.save()
    answered(bob, "Tariffe per un naming")
    answered(alice, "Naming fees")
    run_outbox(lambda: schedule_digests(at(8)))
    emails = {e.to: e for e in OutgoingEmail.objects.all()}
    assert set(emails) == {"bob@example.com", "alice@example.com"}  # dave has nothing new
    italian, english = emails["bob@example.com"], emails["alice@example.com"]
    assert "Il tuo giorno su Gilda" in italian.subject
    assert "Alice Romano ha risposto a “Tariffe per un naming”" in italian.body_text
    assert "Your day in Gilda" in english.subject
    assert "Alice Romano answered “Naming fees”" in english.body_text
    assert italian.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/email/disiscriviti/" in italian.headers["List-Unsubscribe"]
    assert len(mail.outbox) == 2  # delivered by the outbox's email task
    assert DigestRun.objects.get(user=dave, frequency="daily").items == 0  # skipped, marked done


def test_not_before_the_local_hour_and_in_the_members_time_zone(bob, alice, run_outbox):
    alice.timezone = "America/New_York"
    alice.save()
    answered(bob, "Uno")
    answered(alice, "Two")
    run_outbox(lambda: schedule_digests(at(7)))  # 7:05 in Rome: nobody yet
    assert not OutgoingEmail.objects.exists()
    run_outbox(lambda: schedule_digests(at(8)))  # 8:05 in Rome, 2:05 in New York
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == ["bob@example.com"]
    run_outbox(lambda: schedule_digests(at(8, zone=ZoneInfo("America/New_York"))))
    assert OutgoingEmail.objects.filter(to="alice@example.com").count() == 1


def test_exactly_once_per_member_and_period_however_often_it_runs(bob, run_outbox):
    answered(bob, "Uno")
    for hour in (8, 8, 9, 23):
        run_outbox(lambda hour=hour: schedule_digests(at(hour)))
    assert send_digest(bob.pk, "daily", "2026-12-03") == 0  # a stray duplicate intent
    assert OutgoingEmail.objects.count() == 1
    assert DigestRun.objects.filter(user=bob, frequency="daily").count() == 1
    # The next day only what is new since counts: nothing, so it is skipped.
    run_outbox(lambda: schedule_digests(at(8, day=4)))
    assert OutgoingEmail.objects.count() == 1
    answered(bob, "Due")
    run_outbox(lambda: schedule_digests(at(8, day=5)))
    assert OutgoingEmail.objects.count() == 2
    assert "Due" in OutgoingEmail.objects.latest("pk").body_text
    assert "Uno" not in OutgoingEmail.objects.latest("pk").body_text


def test_immediate_and_off_kinds_stay_out_of_digests(bob, run_outbox):
    EmailPreference.choose(bob, EmailKind.ANSWERS, "off")
    answered(bob, "Spento")
    run_outbox(lambda: schedule_digests(at(8)))
    assert not OutgoingEmail.objects.filter(to="bob@example.com").exists()


def test_weekly_digest_carries_questions_i_could_answer(
    closed_group, alice, bob, run_outbox, settings
):
    from profiles.models import Skill

    bob.profile.skills.add(Skill.objects.create(name="SEO locale", is_approved=True))
    Post.ask(closed_group, alice, title="Come curare la SEO locale?", body="Idee?")
    run_outbox(lambda: schedule_digests(at(8, day=7)))  # Monday 7 December, 8:05
    body = OutgoingEmail.objects.get(to="bob@example.com").body_text
    assert "Come curare la SEO locale?" in body
    assert "SEO locale" in body.split("Come curare la SEO locale?")[1]


def test_no_digest_reveals_a_closed_group_to_a_non_member(
    closed_group, alice, dave, bob, run_outbox
):
    from profiles.models import Skill

    skill = Skill.objects.create(name="SEO locale", is_approved=True)
    dave.profile.skills.add(skill)
    EmailPreference.choose(dave, EmailKind.QUESTIONS, "daily")
    Post.ask(closed_group, alice, title="Segreto sulla SEO locale", body="Interno")
    # A notification about the inside that reached dave anyway (removed after the event).
    answered(dave, "Titolo interno", scope=closed_group.notification_scope)
    answered(dave, "Titolo pubblico")
    run_outbox(lambda: schedule_digests(at(8)))
    body = OutgoingEmail.objects.get(to="dave@example.com").body_text
    assert "Titolo pubblico" in body
    assert "Titolo interno" not in body
    assert "Segreto" not in body and closed_group.name not in body.split("Titolo pubblico")[0]


def test_a_member_removed_after_the_event_gets_nothing_about_it(
    closed_group, alice, bob, run_outbox, django_capture_on_commit_callbacks
):
    question = Post.ask(closed_group, bob, title="Il mio thread interno", body="?")
    with django_capture_on_commit_callbacks(execute=True):
        question.answer(alice, body="Risposta interna")
    assert bob.notifications.filter(kind="group-new-answer").exists()
    closed_group.leave(bob)
    run_outbox(lambda: schedule_digests(at(8)))
    assert not OutgoingEmail.objects.filter(to="bob@example.com").exists()


def test_since_the_last_digest_not_a_fixed_window(bob, run_outbox):
    answered(bob, "Vecchia")
    Notification.objects.update(created_at=at(6) - timedelta(days=3))
    run_outbox(lambda: schedule_digests(at(8)))
    assert not OutgoingEmail.objects.exists()

"""The home's cached blocks (connections/home_cache.py): read once, then kept per member and
language; what changes who may read what, or what the member did, shows at once."""

import pytest
from django.urls import reverse
from django.utils import translation

from connections.models import ConnectionRequest, Suggestion
from groups.models import JoinRequest, Post
from profiles.models import Block
from tests.events.conftest import make_event

pytestmark = pytest.mark.usefixtures("within_one_minute")  # kept pages: tests/conftest.py

HOME = "/"


def home_of(client) -> str:
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_home_is_the_members_own(logged_in, closed_group, alice, bob, dave, seo):
    question = Post.ask(closed_group, alice, title="Domanda interna sulla SEO locale", body="?")
    bob_client, dave_client = logged_in(bob), logged_in(dave)
    dave.profile.skills.add(seo)
    assert question.title in home_of(bob_client)  # now cached for bob
    assert question.title not in home_of(dave_client)  # dave is not in the group
    assert question.title in home_of(bob_client)


def test_answering_takes_the_question_off_my_home_at_once(
    bob_client, closed_group, alice, bob, seo
):
    question = Post.ask(closed_group, alice, title="Come si fa la SEO locale?", body="?")
    assert question.title in home_of(bob_client)
    question.answer(bob, body="Così.")
    assert question.title not in home_of(bob_client)


def test_a_new_question_may_wait_but_a_removed_one_goes_at_once(
    bob_client, closed_group, alice, moderator, seo
):
    first = Post.ask(closed_group, alice, title="Prima domanda sulla SEO locale", body="?")
    assert first.title in home_of(bob_client)
    later = Post.ask(closed_group, alice, title="Seconda domanda sulla SEO locale", body="?")
    assert later.title not in home_of(bob_client)  # kept: the block lags a little
    first.soft_delete(by=moderator)
    text = home_of(bob_client)
    assert first.title not in text
    assert later.title in text


def test_a_block_and_a_leave_show_at_once(logged_in, closed_group, alice, bob, moderator):
    question = Post.ask(closed_group, bob, title="Il mio thread", body="?")
    question.answer(alice, body="Risposta di Alice")
    question.answer(moderator, body="Risposta di Monica")
    client = logged_in(bob)
    text = home_of(client)
    assert "Alice Romano" in text and "Monica Moderatrice" in text
    Block.objects.create(blocker=bob, blocked=alice)
    text = home_of(client).split("<main")[1]
    assert "Alice Romano" not in text and "Monica Moderatrice" in text
    closed_group.leave(bob)
    assert "Monica Moderatrice" not in home_of(client).split("<main")[1]


def test_a_cancelled_event_leaves_the_home_at_once(bob_client, closed_group, alice):
    event = make_event(closed_group, alice, title="Aperitivo dei SEO")
    assert event.title in home_of(bob_client)
    assert event.cancel(by=alice, message="Pioggia")
    assert event.title not in home_of(bob_client)


def test_each_language_has_its_own_copy(bob_client, closed_group, alice, seo):
    Post.ask(closed_group, alice, title="Domanda sulla SEO locale", body="?")
    with translation.override("it"):
        assert "corrisponde alla tua competenza" in home_of(bob_client)
    bob_client.cookies["django_language"] = "en"
    assert "matches your skill" in home_of(bob_client)


def test_the_profile_nudge_follows_each_edit_at_once(bob_client, bob):
    def percent() -> str:
        text = home_of(bob_client)
        return text.split('<progress value="')[1].split('"')[0]

    before = percent()
    assert percent() == before  # read back
    bob.profile.experiences.create(role="Copywriter", organisation="Studio", start_year=2020)
    with_experience = percent()
    assert int(with_experience) > int(before)
    bob.profile.languages.create(code="it")
    assert int(percent()) > int(with_experience)


def test_an_erased_members_content_leaves_every_home_at_once(bob_client, closed_group, alice, bob):
    question = Post.ask(closed_group, bob, title="Il thread di Bob", body="?")
    question.answer(alice, body="Risposta di Alice")
    assert "Alice Romano" in home_of(bob_client)
    alice.delete()
    assert "Alice Romano" not in home_of(bob_client).split("<main")[1]


def test_blocks_an_earlier_release_pickled_are_read_again(
    bob_client, closed_group, alice, seo, settings, caplog
):
    """A deploy within a block's lifetime may leave blocks whose classes have changed since:
    they are read again from the database, never an error page."""
    from django.core.cache import cache

    question = Post.ask(closed_group, alice, title="Domanda sulla SEO locale", body="?")
    assert question.title in home_of(bob_client)
    # Past the kept page and the blocks' HTML (a new minute, say), down to the kept blocks.
    settings.MEMBER_PAGE_SECONDS = 0
    backend = getattr(cache, "_cache", None)
    if hasattr(backend, "get_client"):  # Redis: overwrite the stored bytes
        client = backend.get_client(write=True)
        client.delete(*client.keys("*home-html:*"))
        stored = client.keys("*home:questions:*")
        assert stored
        for key in stored:
            client.set(key, b"\x80\x05not a pickle")
    else:  # local memory
        for key in [key for key in cache._cache if ":home-html:" in key]:
            cache.delete(key.split(":", 2)[2])  # stored as ":<version>:<key>"
        stored = [key for key in cache._cache if ":home:questions:" in key]
        assert stored
        for key in stored:
            cache._cache[key] = b"\x80\x05not a pickle"
    with caplog.at_level("WARNING", logger="connections.home_cache"):
        response = bob_client.get(HOME)
    assert "home blocks unreadable, read again" in caplog.text
    assert response.context is not None  # rendered, from blocks read again
    assert question.title in response.content.decode()


def main_of(client) -> str:
    return home_of(client).split("<main")[1]


def test_a_new_request_shows_at_once_and_accepting_it_takes_it_off(
    bob_client, bob, carol, closed_group
):
    """Requests and people are kept too: a request to answer changes the badges that key the
    blocks, and whatever the member does through the site starts a new generation."""
    assert "Carolina Esposito" not in main_of(bob_client)  # kept, with no request
    connection_request = ConnectionRequest.send(carol, bob, "Ciao Roberto")
    assert "Carolina Esposito" in main_of(bob_client)

    accepted = bob_client.post(
        reverse("connections:request_action", args=[connection_request.pk]), {"action": "accept"}
    )
    assert accepted.status_code == 302
    home = home_of(bob_client)
    assert 'data-testid="home-requests"' not in home


def test_dismissing_a_suggestion_takes_it_off_at_once(bob_client, bob, dave):
    Suggestion.objects.create(user=bob, candidate=dave, rank=1, mutual_count=0)
    assert 'data-testid="home-people"' in home_of(bob_client)
    dismissed = bob_client.post(reverse("connections:dismiss", args=[dave.pk]))
    assert dismissed.status_code == 302
    assert 'data-testid="home-people"' not in home_of(bob_client)


def test_someone_elses_write_may_wait_for_the_blocks_lifetime(bob_client, bob, dave):
    """A new suggestion (the engine's, in the background) is not the member's doing and
    changes no badge: the kept block shows it once it expires."""
    assert 'data-testid="home-people"' not in home_of(bob_client)
    Suggestion.objects.create(user=bob, candidate=dave, rank=1, mutual_count=0)
    assert 'data-testid="home-people"' not in home_of(bob_client)  # kept
    bob_client.post(reverse("connections:dismiss", args=[bob.pk]))  # any write of bob's
    assert "Davide Ricci" in main_of(bob_client)


def test_a_moderators_decision_shows_on_their_home_at_once(moderator_client, closed_group):
    join_request = JoinRequest.objects.pending().get(group=closed_group)  # carol's
    assert 'data-testid="home-pending"' in home_of(moderator_client)
    decided = moderator_client.post(
        reverse("groups:decide", args=[closed_group.slug, join_request.pk]),
        {"decision": "approve"},
    )
    assert decided.status_code == 302
    assert 'data-testid="home-pending"' not in home_of(moderator_client)


def test_the_kept_home_runs_no_template_and_shows_a_pending_message(
    bob_client, bob, dave, django_assert_num_queries
):
    home_of(bob_client)
    with django_assert_num_queries(2):  # the user, the badges (part of the page's key)
        kept = bob_client.get(HOME)
    assert kept.context is None  # nothing rendered
    bob_client.post(reverse("connections:dismiss", args=[dave.pk]))  # adds a message
    text = home_of(bob_client)
    assert "Davide Ricci non ti verrà più suggerito." in text  # rendered, with the message


def test_a_rename_by_staff_shows_on_the_home_at_once(bob_client, bob):
    assert "Roberto Bianchi" in home_of(bob_client)
    bob.display_name = "Roberto B. Bianchi"
    bob.save(update_fields=["display_name"])
    assert "Roberto B. Bianchi" in home_of(bob_client)


def test_the_kept_homes_form_tokens_are_the_readers_own(bob_client, bob, carol):
    from django.test import Client

    ConnectionRequest.send(carol, bob, "Ciao")
    home_of(bob_client)
    other_device = Client(enforce_csrf_checks=True)
    other_device.force_login(bob)
    text = home_of(other_device)
    token = text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    request_id = ConnectionRequest.objects.get(sender=carol).pk
    accepted = other_device.post(
        reverse("connections:request_action", args=[request_id]),
        {"action": "accept", "csrfmiddlewaretoken": token},
    )
    assert accepted.status_code == 302  # not 403


def test_a_new_report_reaches_the_moderators_groups_block_at_once(
    moderator_client, closed_group, alice, bob, django_capture_on_commit_callbacks
):
    question = Post.ask(closed_group, alice, title="Corsi facili, scrivetemi", body="?")
    assert 'data-testid="home-reports-link"' not in home_of(moderator_client)  # kept
    with django_capture_on_commit_callbacks(execute=True):
        question.report(bob, reason="spam")
    # The report's notification moves the moderator's badges, which key the groups block.
    assert 'data-testid="home-reports-link"' in home_of(moderator_client)

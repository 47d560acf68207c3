"""The thread page caches each post's rendered fragment (groups/fragments.py): read back on
the next view, never shown to someone who may not read the group, never stale after a change,
varying with how the viewer sees the post, and failing open when Redis is down."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from groups.models import Post

SECRET_BODY = "Il listino riservato del gruppo: 1.500 euro a naming."

pytestmark = pytest.mark.usefixtures("rendered_pages")


@pytest.fixture
def secret_thread(closed_group, bob, alice):
    question = Post.ask(closed_group, bob, title="Tariffe riservate?", body="Quanto chiedete?")
    question.answer(alice, body=SECRET_BODY)
    return question


@pytest.fixture
def open_thread(open_group, alice, bob):
    open_group.add_member(bob)
    question = Post.ask(open_group, alice, title="Come iniziare?", body="Da dove parto?")
    question.answer(alice, body="Da un portfolio.")
    return question


def thread_url(question) -> str:
    return reverse("groups:thread", args=[question.group.slug, question.pk])


def test_the_second_view_reads_every_post_from_the_cache(secret_thread, bob_client):
    first = bob_client.get(thread_url(secret_thread))
    second = bob_client.get(thread_url(secret_thread))

    assert first.context["question"].cached_fragment is None  # rendered, then stored
    assert second.context["question"].cached_fragment is not None
    assert all(answer.cached_fragment for answer in second.context["page"])
    assert SECRET_BODY in second.content.decode()


def test_an_outsider_never_gets_a_cached_post_of_a_closed_group(
    secret_thread, bob_client, dave_client, client
):
    bob_client.get(thread_url(secret_thread))  # a member fills the cache
    url = thread_url(secret_thread)

    outsider = dave_client.get(url)
    outsider_htmx = dave_client.get(url, headers={"HX-Request": "true"})
    anonymous = client.get(url)

    assert outsider.status_code == 404
    assert outsider_htmx.status_code == 404
    assert anonymous.status_code == 403  # the group's public card, nothing of the thread
    for response in (outsider, outsider_htmx, anonymous):
        assert SECRET_BODY not in response.content.decode()


def test_a_visitor_does_not_get_the_member_version_of_a_cached_post(
    open_thread, bob_client, client
):
    answer = open_thread.answers.get()
    member_page = bob_client.get(thread_url(open_thread)).content.decode()
    anonymous_page = client.get(thread_url(open_thread)).content.decode()

    assert f'data-testid="upvote-{answer.pk}"' in member_page
    assert f'data-testid="report-{answer.pk}"' in member_page
    assert f'data-testid="upvote-{answer.pk}"' not in anonymous_page
    assert f'data-testid="report-{answer.pk}"' not in anonymous_page
    assert "Da un portfolio." in anonymous_page


def test_an_edit_and_a_vote_show_at_once(open_thread, alice, bob, bob_client):
    answer = open_thread.answers.get()
    bob_client.get(thread_url(open_thread))

    answer.edit(by=alice, body="Da un portfolio e da tre clienti.")
    answer.vote(bob, 1, seat=open_thread.group.seat_for(bob))
    page = bob_client.get(thread_url(open_thread)).content.decode()

    assert "Da un portfolio e da tre clienti." in page
    assert f'data-testid="score-{answer.pk}">1<' in page
    assert re.search(rf'class="vote-button voted"[^>]*data-testid="upvote-{answer.pk}"', page)


def test_a_cached_fragment_carries_the_readers_own_csrf_token(open_thread, bob):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(bob)
    answer = open_thread.answers.get()
    strict.get(thread_url(open_thread))  # fills the cache with another request's token
    page = strict.get(thread_url(open_thread))
    assert page.context["page"][0].cached_fragment is not None
    token = re.search(
        rf'action="[^"]*/{answer.pk}/vota/"[^>]*>\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken" value="([^"]+)"',
        page.content.decode(),
    )
    assert token is not None

    response = strict.post(
        reverse("groups:vote", args=[open_thread.group.slug, answer.pk]),
        {"value": "1", "csrfmiddlewaretoken": token.group(1)},
    )

    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.score == 1


def test_with_redis_down_the_thread_page_renders_every_post(
    open_thread, bob_client, unreachable_redis
):
    response = bob_client.get(thread_url(open_thread))

    assert unreachable_redis()  # the real backend was tried

    assert response.status_code == 200
    assert "Da un portfolio." in response.content.decode()
    assert response.context["question"].cached_fragment is None


# Thread-list rows (group page, thread list, search) ------------------------------------------


def test_thread_list_rows_are_read_back_and_never_stale(open_thread, alice, bob, bob_client):
    url = reverse("groups:threads", args=[open_thread.group.slug])
    first = bob_client.get(url)
    second = bob_client.get(url)
    assert first.context["page"].object_list[0].cached_fragment is None
    assert second.context["page"].object_list[0].cached_fragment is not None
    assert "Come iniziare?" in second.content.decode()

    open_thread.answer(bob, body="Anche da un blog.")  # two answers now
    Post.objects.filter(pk=open_thread.pk).update(title="Come iniziare davvero?")
    third = bob_client.get(url)
    row = third.context["page"].object_list[0]
    assert row.cached_fragment is None  # a new key: the row is rendered again
    page = third.content.decode()
    assert "Come iniziare davvero?" in page
    assert re.search(r"<strong>2</strong>\s*<small>risposte</small>", page)


def test_an_outsider_never_gets_a_cached_row_of_a_closed_group(
    secret_thread, bob_client, dave_client, client
):
    group_page = reverse("groups:detail", args=[secret_thread.group.slug])
    threads = reverse("groups:threads", args=[secret_thread.group.slug])
    search = reverse("groups:search") + "?q=Tariffe"
    for url in (group_page, threads, search):
        bob_client.get(url)  # a member fills the cache
    assert "Tariffe riservate?" in bob_client.get(threads).content.decode()
    for reader in (dave_client, client):
        for url in (group_page, threads, search):
            response = reader.get(url)
            assert "Tariffe riservate?" not in response.content.decode()


# Event rows (the events list) ------------------------------------------------------------


def test_event_rows_are_read_back_and_never_stale(open_group, alice, bob, bob_client):
    from tests.events.conftest import make_event

    event = make_event(open_group, alice, title="Aperitivo aperto")
    url = reverse("events")
    first = bob_client.get(url)
    second = bob_client.get(url)
    assert first.context["page"].object_list[0].cached_fragment is None
    assert second.context["page"].object_list[0].cached_fragment is not None
    assert "Aperitivo aperto" in second.content.decode()

    event.rsvp(bob, "going")
    third = bob_client.get(url)
    assert third.context["page"].object_list[0].cached_fragment is None  # a new key
    assert "1 partecipa" in third.content.decode()


def test_an_outsider_never_gets_a_cached_event_row_of_a_closed_group(
    closed_group, alice, bob_client, dave_client, client
):
    from tests.events.conftest import make_event

    make_event(closed_group, alice, title="Cena riservata")
    url = reverse("events")
    assert "Cena riservata" in bob_client.get(url).content.decode()  # a member fills the cache
    for reader in (dave_client, client):
        assert "Cena riservata" not in reader.get(url).content.decode()


def test_an_old_post_is_read_back_across_minutes_and_a_new_one_shows_its_age(
    open_group, alice, bob, bob_client
):
    """A fragment is keyed by its "3 minutes ago" as it reads, not by the minute: a post from
    last month is read back the next minute, a post of a minute ago is rendered again."""
    open_group.add_member(bob)
    start = timezone.now().replace(second=10, microsecond=0)
    with time_machine.travel(start - timedelta(days=40), tick=False):
        question = Post.ask(open_group, alice, title="Preventivi?", body="Come li fate?")
    with time_machine.travel(start - timedelta(minutes=2), tick=False):
        answer = question.answer(bob, body="Con un listino.")
    url = thread_url(question)
    with time_machine.travel(start, tick=False):
        bob_client.get(url)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        later = bob_client.get(url)

    read_back = later.context["question"]
    [rendered] = [post for post in later.context["page"] if post.pk == answer.pk]
    assert read_back.cached_fragment is not None
    assert rendered.cached_fragment is None
    assert "3\xa0minuti fa" in later.content.decode()  # timesince's non-breaking space

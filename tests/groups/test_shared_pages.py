"""The pages members share, kept once per kind of reader (config/page_cache.py's
@shared_for_members, groups/shared.py's readers): a second member of the same kind gets the
copy without the view, with their own navigation, pills and working CSRF token; moderators,
outsiders, a thread's participants and members with a block get their own page; what a member
writes they see at once, what others add within the settle time, a withdrawal reaches everyone
at once, and with Redis down every page is rendered."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from groups.models import Event, Membership, Post
from profiles.models import Block
from tests.events.conftest import make_event

BODY = "Parto dal portfolio e da tre clienti di prova."


@pytest.fixture
def members(open_group, bob, carol, dave):
    for user in (bob, carol, dave):
        open_group.add_member(user)
    return open_group


@pytest.fixture
def thread(members, alice):
    question = Post.ask(members, alice, title="Come iniziare?", body="Da dove parto?")
    question.answer(alice, body=BODY)
    return question


@pytest.fixture
def other_thread(thread, alice):
    return Post.ask(thread.group, alice, title="Che tariffe chiedete?", body="Per un sito.")


def thread_url(question) -> str:
    return reverse("groups:thread", args=[question.group.slug, question.pk])


def post_answer(client, question, body: str) -> None:
    response = client.post(
        reverse("groups:answer", args=[question.group.slug, question.pk]), {"body": body}
    )
    assert response.status_code == 302


def rendered_thread(response) -> bool:
    """Whether the view rendered the thread's template (not a kept copy)."""
    return "groups/thread.html" in [template.name for template in response.templates]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def own_name(response) -> str:
    return re.search(r"<summary>([^<]*)</summary>", response.content.decode()).group(1)


def test_a_second_member_gets_the_copy_with_their_own_navigation(
    thread, bob, carol, django_assert_num_queries
):
    first = client_for(bob).get(thread_url(thread))
    carol_client = client_for(carol)
    carol_client.get(reverse("groups:list"))  # carol's reader state, read once and kept
    # carol's user, her badges: no view, no template
    with django_assert_num_queries(2):
        second = carol_client.get(thread_url(thread))

    assert first.status_code == second.status_code == 200
    assert BODY in second.content.decode()
    assert own_name(first) == bob.name
    assert own_name(second) == carol.name
    assert "<!--own:" not in second.content.decode()
    assert second.context is None  # served from the copy


def test_a_shared_copy_reads_nothing_of_its_first_reader(thread, bob, django_assert_num_queries):
    bob_client = client_for(bob)
    bob_client.get(reverse("groups:list"))  # bob's reader state, read once and kept
    # user, group with bob's seat, question, answer count, page of answers with authors,
    # comments with authors, badges: not bob's blocks, votes or watch (a shared copy's reader
    # has none)
    with django_assert_num_queries(7):
        response = bob_client.get(thread_url(thread))

    assert response.status_code == 200
    assert BODY in response.content.decode()
    assert rendered_thread(response)


def test_the_copy_carries_each_members_own_working_csrf_token(thread, bob, carol):
    client_for(bob).get(thread_url(thread))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(carol)
    page = strict.get(thread_url(thread)).content.decode()
    answer = thread.answers.get()
    token = re.search(
        rf'action="[^"]*/{answer.pk}/vota/"[^>]*>\s*<input type="hidden" '
        r'name="csrfmiddlewaretoken" value="([^"]+)"',
        page,
    ).group(1)

    response = strict.post(
        reverse("groups:vote", args=[thread.group.slug, answer.pk]),
        {"value": "1", "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.score == 1


def test_a_members_vote_shows_at_once_and_only_to_them(thread, bob, carol):
    answer = thread.answers.get()
    bob_client, carol_client = client_for(bob), client_for(carol)
    bob_client.get(thread_url(thread))
    carol_client.get(thread_url(thread))

    bob_client.post(reverse("groups:vote", args=[thread.group.slug, answer.pk]), {"value": "1"})
    voted = rf'class="vote-button voted"[^>]*data-testid="upvote-{answer.pk}"'

    assert re.search(voted, bob_client.get(thread_url(thread)).content.decode())
    assert not re.search(voted, carol_client.get(thread_url(thread)).content.decode())


def test_a_vote_made_outside_the_site_still_makes_the_thread_the_members_own(thread, bob, carol):
    answer = thread.answers.get()
    bob_client = client_for(bob)
    client_for(carol).get(thread_url(thread))
    answer.vote(bob, 1)  # the admin, a shell, a future API: no request of bob's

    page = bob_client.get(thread_url(thread)).content.decode()

    assert re.search(rf'class="vote-button voted"[^>]*data-testid="upvote-{answer.pk}"', page)


def test_what_a_member_writes_they_see_at_once(thread, members, bob, carol):
    bob_client = client_for(bob)
    client_for(carol).get(members.get_absolute_url())
    bob_client.get(members.get_absolute_url())

    response = bob_client.post(
        reverse("groups:ask", args=[members.slug]),
        {"title": "Quanto costa un logo?", "body": "Mi serve un preventivo onesto."},
    )
    assert response.status_code == 302

    assert "Quanto costa un logo?" in bob_client.get(members.get_absolute_url()).content.decode()


def test_a_withdrawal_reaches_every_member_at_once(thread, members, alice, bob, carol):
    answer = thread.answers.get()
    client_for(bob).get(thread_url(thread))
    carol_client = client_for(carol)
    assert BODY in carol_client.get(thread_url(thread)).content.decode()

    answer.soft_delete(by=alice)

    assert BODY not in carol_client.get(thread_url(thread)).content.decode()


def test_a_moderator_gets_their_tools_and_members_never_see_them(closed_group, moderator, bob):
    moderator_page = client_for(moderator).get(closed_group.get_absolute_url())
    member_page = client_for(bob).get(closed_group.get_absolute_url())
    again = client_for(moderator).get(closed_group.get_absolute_url())

    queue = reverse("groups:queue", args=[closed_group.slug])
    assert queue in moderator_page.content.decode()
    assert queue in again.content.decode()
    assert queue not in member_page.content.decode()


def test_an_outsider_never_gets_a_members_copy_of_a_closed_group(closed_group, question, bob, dave):
    client_for(bob).get(closed_group.get_absolute_url())
    threads = reverse("groups:threads", args=[closed_group.slug])
    client_for(bob).get(threads)

    outsider = client_for(dave)
    page = outsider.get(closed_group.get_absolute_url()).content.decode()

    assert question.title not in page
    assert outsider.get(threads).status_code == 404
    assert outsider.get(thread_url(question)).status_code == 404


def test_search_results_follow_each_members_closed_groups(closed_group, question, bob, dave):
    url = reverse("groups:search") + "?q=naming"
    assert question.title in client_for(bob).get(url).content.decode()
    assert question.title not in client_for(dave).get(url).content.decode()


def test_a_member_appointed_moderator_gets_their_tools_at_once(closed_group, alice, bob):
    bob_client = client_for(bob)
    bob_client.get(closed_group.get_absolute_url())
    queue = reverse("groups:queue", args=[closed_group.slug])

    closed_group.set_role(
        closed_group.memberships.get(user=bob), Membership.Role.MODERATOR, by=alice
    )

    assert queue in bob_client.get(closed_group.get_absolute_url()).content.decode()


def test_a_member_with_a_block_gets_the_thread_with_the_blocked_author_folded(
    thread, alice, bob, carol
):
    client_for(carol).get(thread_url(thread))
    Block.objects.create(blocker=bob, blocked=alice)

    response = client_for(bob).get(thread_url(thread))

    assert response.context is not None  # rendered for bob, not carol's copy
    assert all(post.by_blocked for post in response.context["page"])


def test_each_member_sees_their_own_pills_on_the_group_list(closed_group, open_group, bob, dave):
    bob_page = client_for(bob).get(reverse("groups:list")).content.decode()
    dave_page = client_for(dave).get(reverse("groups:list")).content.decode()
    carol_page = client_for(closed_group.join_requests.get().user).get(reverse("groups:list"))

    assert bob_page.count("Fai parte del gruppo") == 1  # the closed group only
    assert "Fai parte del gruppo" not in dave_page
    assert "Richiesta in attesa" in carol_page.content.decode()


def test_with_redis_down_members_get_every_page_rendered(thread, bob, carol, unreachable_redis):
    client_for(bob).get(thread_url(thread))
    response = client_for(carol).get(thread_url(thread))

    assert response.status_code == 200
    assert BODY in response.content.decode()
    assert own_name(response) == carol.name


def others_add_to_a_thread(thread, alice, bob, carol_client, after: float) -> tuple[str, str]:
    """Carol's thread page right after others answered, edited and voted, and `after` seconds
    later."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client_for(bob).get(thread_url(thread))
        carol_client.get(thread_url(thread))
        answer = thread.answers.get()
        thread.answer(bob, body="Io sono partito dai colleghi del gruppo.")
        answer.edit(by=alice, body="Da un portfolio e da tre clienti.")
        answer.vote(bob, 1)
        at_once = carol_client.get(thread_url(thread)).content.decode()
    with time_machine.travel(start + timedelta(seconds=after), tick=False):
        later = carol_client.get(thread_url(thread)).content.decode()
    return at_once, later


def test_what_others_add_to_a_thread_shows_within_the_settle_time(thread, alice, bob, carol):
    answer = thread.answers.get()
    settle = settings.SHARED_PAGE_SETTLE_SECONDS
    assert settle > 0

    at_once, later = others_add_to_a_thread(thread, alice, bob, client_for(carol), settle)

    # A busy thread is rendered at most once per settle time: the copy still serves meanwhile.
    assert "Io sono partito dai colleghi del gruppo." not in at_once
    assert "Io sono partito dai colleghi del gruppo." in later
    assert "Da un portfolio e da tre clienti." in later
    assert f'data-testid="score-{answer.pk}">1<' in later


def test_with_no_settle_time_what_others_add_shows_at_once(thread, alice, bob, carol, settings):
    settings.SHARED_PAGE_SETTLE_SECONDS = 0
    answer = thread.answers.get()

    at_once, _ = others_add_to_a_thread(thread, alice, bob, client_for(carol), 0)

    assert "Io sono partito dai colleghi del gruppo." in at_once
    assert "Da un portfolio e da tre clienti." in at_once
    assert f'data-testid="score-{answer.pk}">1<' in at_once


def test_a_new_member_shows_on_the_group_page_within_the_settle_time(members, bob, make_user):
    bob_client = client_for(bob)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        bob_client.get(members.get_absolute_url())
        newcomer = make_user("newcomer@example.com", display_name="Nuova Arrivata")
        members.add_member(newcomer)
        at_once = bob_client.get(members.get_absolute_url()).content.decode()
    later = start + timedelta(seconds=settings.SHARED_PAGE_SETTLE_SECONDS)
    with time_machine.travel(later, tick=False):
        page = bob_client.get(members.get_absolute_url()).content.decode()

    assert "Nuova Arrivata" not in at_once
    assert "Nuova Arrivata" in page


def test_a_member_who_wrote_gets_only_copies_begun_after_their_write(members, bob, carol):
    bob_client, carol_client = client_for(bob), client_for(carol)
    search = reverse("groups:search") + "?q=logo"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        carol_client.get(search)  # a copy from before bob's question
        bob_client.get(search)
        response = bob_client.post(
            reverse("groups:ask", args=[members.slug]),
            {"title": "Quanto costa un logo?", "body": "Mi serve un preventivo onesto."},
        )
        assert response.status_code == 302
        carol_before = carol_client.get(search)
        bob_at_once = bob_client.get(search)
    with time_machine.travel(start + timedelta(seconds=2), tick=False):
        bob_client.get(search)  # a copy begun after bob's question (and the clocks' margin)
    with time_machine.travel(start + timedelta(seconds=3), tick=False):
        bob_later = bob_client.get(search)

    assert carol_before.context is None  # a list across groups may lag for others…
    assert "Quanto costa un logo?" not in carol_before.content.decode()
    assert bob_at_once.context is not None  # …never for the member who wrote
    assert "Quanto costa un logo?" in bob_at_once.content.decode()
    assert bob_later.context is None  # a copy begun after the write is theirs again
    assert "Quanto costa un logo?" in bob_later.content.decode()


def test_a_write_keeps_the_member_off_settled_copies_of_what_it_changed_only(
    thread, other_thread, alice, bob, carol
):
    bob_client, carol_client = client_for(bob), client_for(carol)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for question in (thread, other_thread):  # copies of both, from before bob's answer
            carol_client.get(thread_url(question))
        other_thread.answer(alice, body="Dipende dalle pagine.")  # others move it on
        post_answer(bob_client, thread, "Ho iniziato con due clienti.")
        this_page = bob_client.get(thread_url(thread))
        other_page = bob_client.get(thread_url(other_thread))

    assert rendered_thread(this_page)  # the page bob's answer changed: rendered for him
    assert "Ho iniziato con due clienti." in this_page.content.decode()
    assert not rendered_thread(other_page)  # another thread's settled copy is his
    assert "Dipende dalle pagine." not in other_page.content.decode()


def test_a_message_is_filled_into_kept_pages_for_its_member_alone(thread, other_thread, bob, carol):
    bob_client, carol_client = client_for(bob), client_for(carol)
    network = reverse("connections:network")
    carol_client.get(thread_url(other_thread))  # a shared copy of the other thread
    bob_client.get(network)  # bob's own network page, kept

    post_answer(bob_client, thread, "Ho iniziato con due clienti.")
    with_message = bob_client.get(thread_url(other_thread))
    carols = carol_client.get(thread_url(other_thread))
    post_answer(bob_client, thread, "E poi tre.")
    network_with_message = bob_client.get(network)
    again = bob_client.get(thread_url(other_thread))

    message = 'class="message message-success"'
    assert not rendered_thread(with_message)  # the copy…
    assert with_message.content.decode().count(message) == 1  # …with bob's message in it
    assert message not in carols.content.decode()  # never in anyone else's
    assert "connections/network.html" not in [t.name for t in network_with_message.templates]
    assert network_with_message.content.decode().count(message) == 1
    assert message not in again.content.decode()  # shown once


def test_a_mark_written_in_a_post_stays_text(members, alice, bob, carol):
    question = Post.ask(members, alice, title="<!--own:nav:-->?", body="Prova <!--own:nav:-->")
    client_for(bob).get(thread_url(question))

    page = client_for(carol).get(thread_url(question)).content.decode()

    assert page.count("<summary>") == 1  # one navigation: carol's
    assert "&lt;!--own:nav:--&gt;" in page


def test_a_member_marked_present_gets_the_people_they_met_at_once(closed_group, alice, bob):
    event = make_event(closed_group, alice)
    event.rsvp(bob, "going")
    bob_client = client_for(bob)
    assert "people-met-link" not in bob_client.get(event.get_absolute_url()).content.decode()
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(days=1, hours=2),
        ends_at=timezone.now() - timedelta(days=1),
    )

    event.mark_attended([bob.pk])

    assert "people-met-link" in bob_client.get(event.get_absolute_url()).content.decode()


def test_an_events_last_seat_taken_shows_at_once_to_others(closed_group, alice, bob, make_user):
    event = make_event(closed_group, alice, capacity=1)
    erin = make_user("erin@example.com", display_name="Erin")
    closed_group.add_member(erin)
    erin_client = client_for(erin)
    going = re.compile(r'data-testid="rsvp-going"[^>]*>([^<]+)<')
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        before = erin_client.get(event.get_absolute_url()).content.decode()
        event.rsvp(bob, "going")
        after = erin_client.get(event.get_absolute_url()).content.decode()

    # The page of something members race for never settles: the waitlist button at once.
    assert going.search(before)[1] == "Partecipo"
    assert going.search(after)[1] == "Mettiti in lista d'attesa"

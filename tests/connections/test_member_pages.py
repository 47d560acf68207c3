"""A member's own pages kept whole (config.page_cache.kept_for_member): read back without the
view, the member's own only, and fresh at once when the member acts or when others change
what is theirs (a request decided, a connection made or removed). Another member's profile
and the directory are kept for the viewer the same way, the profile under both members'
generations."""

import pytest
from django.urls import reverse

from connections.models import Connection, ConnectionRequest, Conversation
from groups.models import Post
from profiles.models import Block

pytestmark = pytest.mark.usefixtures("within_one_minute")  # kept pages: tests/conftest.py

NETWORK = "/rete/"
DIRECTORY = "/persone/"


def served_kept(response) -> bool:
    """Served from the kept page: no template rendered, but for partials (the navigation, a
    hole filled per request, renders base.html's "member-nav" when its badges changed)."""
    return not any(template.name.endswith(".html") for template in response.templates)


def test_my_network_is_kept_for_me_alone(alice_client, bob_client, django_assert_num_queries):
    first = alice_client.get(NETWORK)
    with django_assert_num_queries(2):  # the user, the badges (part of the key)
        kept = alice_client.get(NETWORK)
    assert not served_kept(first) and served_kept(kept)
    assert "Alice Romano" in kept.content.decode()
    assert "Alice Romano" not in bob_client.get(NETWORK).content.decode().split("<main")[0]


def test_a_request_accepted_by_the_other_shows_at_once(alice_client, alice, bob):
    connection_request = ConnectionRequest.send(alice, bob, "Ciao Roberto")
    assert 'data-testid="outgoing' in alice_client.get(NETWORK).content.decode()
    before = alice_client.get(NETWORK).content.decode()
    assert "Roberto Bianchi" in before
    connection_request.accept()  # bob's doing, not alice's
    assert Connection.objects.between(alice.pk, bob.pk).exists()
    after = alice_client.get(NETWORK)
    assert not served_kept(after)  # read again
    assert after.context["page"]().paginator.count == 1


def test_a_connection_removed_by_the_other_goes_at_once(alice_client, alice, bob):
    Connection.connect(alice, bob)
    assert alice_client.get(NETWORK).context["page"]().paginator.count == 1
    Connection.objects.between(alice.pk, bob.pk).delete()
    assert alice_client.get(NETWORK).context["page"]().paginator.count == 0


def test_another_members_profile_is_kept_for_me_and_their_edit_shows_at_once(
    alice_client, bob_client, carol_client, alice, bob
):
    Connection.connect(alice, bob)
    url = bob.get_absolute_url()
    alice_client.get(url)
    assert served_kept(alice_client.get(url))  # kept for alice
    # Carol is not connected to bob: she gets her own page, not alice's copy.
    assert carol_client.get(url).context["connection_rel"]().is_connected is False
    bob_client.post(
        url, {"section": "about", "display_name": "Roberto Bianchi", "headline": "Avvocato a Bari"}
    )
    after = alice_client.get(url)
    assert not served_kept(after) and "Avvocato a Bari" in after.content.decode()


def test_a_block_by_the_other_takes_their_kept_profile_away_at_once(alice_client, alice, bob):
    url = bob.get_absolute_url()
    alice_client.get(url)
    assert served_kept(alice_client.get(url))
    Block.objects.create(blocker=bob, blocked=alice)
    assert alice_client.get(url).status_code == 404


def test_the_directory_is_kept_for_me_and_a_block_shows_at_once(alice_client, alice, bob):
    bob.profile.headline = "Avvocato"
    bob.profile.save()
    first = alice_client.get(DIRECTORY)
    assert bob in [profile.user for profile in first.context["page"]]
    kept = alice_client.get(DIRECTORY)
    assert served_kept(kept) and "Roberto Bianchi" in kept.content.decode()
    Block.objects.create(blocker=bob, blocked=alice)
    after = alice_client.get(DIRECTORY)
    assert not served_kept(after)
    assert bob not in [profile.user for profile in after.context["page"]]


def test_my_own_profile_is_kept_and_my_edit_shows_at_once(alice_client, alice):
    url = alice.get_absolute_url()
    alice_client.get(url)
    assert served_kept(alice_client.get(url))
    saved = alice_client.post(
        url, {"section": "about", "display_name": "Alice Romano", "headline": "Copywriter a Bari"}
    )
    assert saved.status_code == 302
    alice_client.get(reverse("home"))  # consumes the "saved" message
    text = alice_client.get(url).content.decode()
    assert "Copywriter a Bari" in text


def test_a_connection_hiding_their_city_leaves_my_kept_network_at_once(alice_client, alice, bob):
    Connection.connect(alice, bob)
    bob.profile.city, bob.profile.region = "Monopoli", "Puglia"
    bob.profile.save()
    assert "Monopoli" in alice_client.get(NETWORK).content.decode()
    assert served_kept(alice_client.get(NETWORK))  # kept
    bob.profile.location_visibility = "region"
    bob.profile.save(update_fields=["location_visibility"])
    text = alice_client.get(NETWORK).content.decode()
    assert "Monopoli" not in text and "Puglia" in text


def test_a_vote_leaves_my_standing_pages_kept_and_my_answer_shows_at_once(
    alice_client, alice, bob, open_group
):
    open_group.add_member(bob)
    question = Post.ask(open_group, bob, title="Come si fattura un naming?", body="Tariffe?")
    own_profile = alice.get_absolute_url()
    for url in (NETWORK, DIRECTORY, own_profile):
        alice_client.get(url)
    voted = alice_client.post(
        reverse("groups:vote", args=[open_group.slug, question.pk]), {"value": "1"}
    )
    assert voted.status_code == 302
    alice_client.get(reverse("home"))  # consumes any message
    # A vote changes what she posted, not her standing: network and directory stay kept.
    assert served_kept(alice_client.get(NETWORK))
    assert served_kept(alice_client.get(DIRECTORY))
    answered = alice_client.post(
        reverse("groups:answer", args=[open_group.slug, question.pk]),
        {"body": "Dipende dal marchio: da 1.500 euro."},
    )
    assert answered.status_code == 302
    alice_client.get(reverse("home"))
    profile = alice_client.get(own_profile)
    assert not served_kept(profile)  # her profile shows her activity: read again
    assert served_kept(alice_client.get(NETWORK))


def test_a_new_notification_leaves_my_kept_network_and_shows_in_its_badge(
    alice_client, alice, bob, open_group, django_capture_on_commit_callbacks
):
    open_group.add_member(alice)
    open_group.add_member(bob)
    question = Post.ask(open_group, alice, title="Come si fattura un naming?", body="Tariffe?")
    alice_client.get(NETWORK)
    unread = alice.notifications.unread().count()

    with django_capture_on_commit_callbacks(execute=True):
        question.answer(bob, body="Dipende dal marchio.")  # bob's doing: alice is notified

    assert alice.notifications.unread().count() == unread + 1
    for url in (NETWORK, DIRECTORY):
        alice_client.get(url)
        response = alice_client.get(url)
        assert served_kept(response)  # the badges are not part of the page's key
        nav = response.content.decode().split("<main")[0]
        assert f'data-testid="unread-count">{unread + 1}<' in nav.replace("\n", "")


def test_joining_a_group_leaves_my_kept_network(alice_client, alice, open_group):
    alice_client.get(NETWORK)
    alice_client.get(DIRECTORY)
    joined = alice_client.post(reverse("groups:join", args=[open_group.slug]))
    assert joined.status_code == 302
    alice_client.get(reverse("home"))  # consumes the message
    # Her seats changed, not her circle: the directory (co-members) is read again, her
    # network (connections, requests, people) is not.
    assert served_kept(alice_client.get(NETWORK))
    assert not served_kept(alice_client.get(DIRECTORY))


def test_a_request_sent_leaves_my_kept_directory_and_shows_in_my_network(alice_client, alice, bob):
    alice_client.get(NETWORK)
    alice_client.get(DIRECTORY)
    sent = alice_client.post(
        reverse("connections:connect", args=[bob.pk]), {"message": "Ciao Roberto, ci sentiamo?"}
    )
    assert sent.status_code == 302
    alice_client.get(reverse("home"))  # consumes the message
    # Her circle changed, not her seats: the network (requests sent) is read again, the
    # directory (members, their places, her groups) is not.
    after = alice_client.get(NETWORK)
    assert not served_kept(after) and 'data-testid="outgoing"' in after.content.decode()
    assert ConnectionRequest.objects.filter(sender=alice, recipient=bob).exists()
    assert bob.name in after.content.decode().split('data-testid="outgoing"')[1]
    assert served_kept(alice_client.get(DIRECTORY))


def test_a_message_leaves_my_kept_standing_pages_and_shows_in_my_inbox(alice_client, alice, bob):
    Connection.connect(alice, bob)
    inbox = reverse("connections:inbox")
    for url in (NETWORK, DIRECTORY, inbox):
        alice_client.get(url)

    Conversation.start(bob, alice, "Ciao Alice, una domanda sul preventivo.")

    # Neither her standing nor her circle changed: network and directory stay kept.
    assert served_kept(alice_client.get(NETWORK))
    assert served_kept(alice_client.get(DIRECTORY))
    after = alice_client.get(inbox)
    assert not served_kept(after) and "una domanda sul preventivo" in after.content.decode()

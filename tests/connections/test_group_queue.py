"""The moderator queue shows the requester's connections already in the group."""

from django.urls import reverse

from profiles.models import Profile


def test_queue_names_the_requesters_connections_in_the_group(
    alice_client, closed_group, carol, bob, dave, connect
):
    connect(carol, bob)  # bob is a member
    connect(carol, dave)  # dave is not

    response = alice_client.get(reverse("groups:queue", args=[closed_group.slug]))

    [card] = [r for r in response.context["page"].object_list if r.user_id == carol.pk]
    assert card.mutual_members == [bob]
    html = response.content.decode()
    assert 'data-testid="mutual-members"' in html and bob.name in html
    assert dave.name not in html


def test_a_requester_hiding_connections_is_left_out(
    alice_client, closed_group, carol, bob, connect
):
    connect(carol, bob)
    Profile.objects.filter(user=carol).update(
        connections_visibility=Profile.ConnectionsVisibility.NOBODY
    )

    response = alice_client.get(reverse("groups:queue", args=[closed_group.slug]))

    assert 'data-testid="mutual-members"' not in response.content.decode()

"""My network and the suggestions list cost the same number of queries at 3 and 40 rows."""

import pytest

from connections.models import Connection, ConnectionRequest, Suggestion
from profiles.models import Profile, User


def crowd(n: int, password_hash: str, tag: str) -> list[User]:
    users = User.objects.bulk_create(
        User(email=f"{tag}{i}@example.com", display_name=f"{tag} {i:03d}", password=password_hash)
        for i in range(n)
    )
    # bulk_create skips the signal that gives every member a profile.
    Profile.objects.bulk_create(Profile(user=user, city="Torino") for user in users)
    return users


def fill(dave, size: int, password_hash: str) -> None:
    """size connections, incoming and outgoing requests, and suggestions with mutual names."""
    friends = crowd(size, password_hash, "amico")
    Connection.objects.bulk_create(
        Connection(user_low_id=min(dave.pk, f.pk), user_high_id=max(dave.pk, f.pk)) for f in friends
    )
    senders = crowd(size, password_hash, "mittente")
    ConnectionRequest.objects.bulk_create(
        ConnectionRequest(sender=s, recipient=dave, message="Ciao") for s in senders
    )
    recipients = crowd(size, password_hash, "destinatario")
    ConnectionRequest.objects.bulk_create(
        ConnectionRequest(sender=dave, recipient=r, message="Ciao") for r in recipients
    )
    candidates = crowd(size, password_hash, "candidato")
    # Each candidate knows two of Dave's friends.
    Connection.objects.bulk_create(
        Connection(
            user_low_id=min(c.pk, friends[j % size].pk),
            user_high_id=max(c.pk, friends[j % size].pk),
        )
        for i, c in enumerate(candidates)
        for j in (i, i + 1)
    )
    Suggestion.objects.bulk_create(
        Suggestion(user=dave, candidate=c, rank=i + 1, mutual_count=2, shared_groups=1)
        for i, c in enumerate(candidates)
    )


@pytest.mark.parametrize("size", [3, 40])
def test_my_network_queries(dave_client, dave, password_hash, size, django_assert_num_queries):
    fill(dave, size, password_hash)
    # user; incoming, outgoing; connections count and page; suggestions,
    # and their mutual names (their pairs with my connections, the names); blocked; badges
    with django_assert_num_queries(10):
        response = dave_client.get("/rete/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="suggestion"') == min(size, 20)
    assert html.count('data-testid="request-card"') == 2 * size
    assert "2 connessioni in comune: amico" in html


@pytest.mark.parametrize("size", [3, 40])
def test_suggestions_fragment_queries(
    dave_client, dave, password_hash, size, django_assert_num_queries
):
    fill(dave, size, password_hash)
    # user; suggestions; mutual names (their pairs with my connections, the names)
    with django_assert_num_queries(4):
        response = dave_client.get("/rete/?part=suggestions", HTTP_HX_REQUEST="true")

    assert response.content.decode().count('data-testid="suggestion"') == min(size, 20)


@pytest.mark.parametrize("size", [3, 40])
def test_connect_form_queries(
    dave_client, dave, erin, password_hash, size, django_assert_num_queries
):
    fill(dave, size, password_hash)
    # user, member, shared group for the message, relationship, mutual connections
    with django_assert_num_queries(6):
        response = dave_client.get(f"/rete/persone/{erin.pk}/connetti/")

    assert response.status_code == 200


@pytest.fixture
def shared_meetups(dave, alice, closed_group, open_group):
    """Every suggestion's latest shared meetup: half in the closed group dave is not in
    (never named to him), half in the open group."""
    from datetime import timedelta

    from django.utils import timezone

    from groups.models import Event

    starts = timezone.now() - timedelta(days=3)
    meetups = [
        Event.objects.create(
            group=group, organiser=alice, title=f"Incontro {group.slug}", format="online",
            online_url="https://meet.example.com/x", starts_at=starts,
            ends_at=starts + timedelta(hours=1),
        )
        for group in (closed_group, open_group)
    ]  # fmt: skip

    def attach() -> None:
        for i, suggestion in enumerate(Suggestion.objects.filter(user=dave).order_by("rank")):
            suggestion.shared_events = 2
            suggestion.latest_shared_event_pk = meetups[i % 2].pk
            suggestion.save(update_fields=["shared_events", "latest_shared_event_pk"])

    return attach


@pytest.mark.parametrize("size", [3, 40])
def test_suggestions_with_shared_meetups_cost_one_query_more(
    dave_client, dave, password_hash, size, shared_meetups, django_assert_num_queries
):
    fill(dave, size, password_hash)
    shared_meetups()
    # as above, plus the titles of the meetups dave may read
    with django_assert_num_queries(5):
        response = dave_client.get("/rete/?part=suggestions", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.count('data-testid="suggestion"') == min(size, 20)
    named = html.count("Eravate presenti a “Incontro social-media-manager” e a 1 altro incontro")
    assert named == min(size // 2, 10)
    assert html.count("Eravate presenti a 2 incontri") == min(size - size // 2, 10)
    assert "Incontro copywriter-italia" not in html

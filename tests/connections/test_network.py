"""The "my network" page, /rete/: connections, requests both ways, suggestions, blocks."""

import pytest

from connections.models import Block, Dismissal, Suggestion
from profiles.models import Profile, User


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get("/rete/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_post_is_405(dave_client):
    assert dave_client.post("/rete/").status_code == 405


def test_shows_connections_incoming_and_outgoing_requests(
    dave_client, dave, erin, alice, bob, carol, connect, request_from
):
    connect(dave, alice)
    request_from(bob, dave, "Ciao Davide!")
    request_from(dave, carol, "Ciao Carolina!")

    response = dave_client.get("/rete/")

    html = response.content.decode()
    assert response.status_code == 200
    assert [u.pk for u in response.context["page"]().object_list] == [alice.pk]
    assert [r.sender_id for r in response.context["incoming"]()] == [bob.pk]
    assert [r.recipient_id for r in response.context["outgoing"]()] == [carol.pk]
    assert "Ciao Davide!" in html and "Ciao Carolina!" in html
    assert erin.name not in html


def test_someone_elses_requests_are_not_shown(dave_client, bob, carol, request_from):
    request_from(bob, carol, "Privato tra noi")

    html = dave_client.get("/rete/").content.decode()

    assert "Privato tra noi" not in html


def test_connections_are_paginated_and_searchable(dave_client, dave, make_user, connect):
    for n in range(35):
        connect(dave, make_user(f"m{n}@example.com", f"Membro {n:02d}"))

    first = dave_client.get("/rete/")
    second = dave_client.get("/rete/?pagina=2")
    found = dave_client.get("/rete/?q=membro 07")

    assert len(first.context["page"]().object_list) == 30
    assert first.context["page"]().paginator.count == 35
    assert len(second.context["page"]().object_list) == 5
    assert [u.display_name for u in found.context["page"]().object_list] == ["Membro 07"]


def test_htmx_part_returns_only_the_connections_fragment(dave_client, dave, alice, connect):
    connect(dave, alice)

    response = dave_client.get("/rete/?part=connections", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert 'id="connections"' in html and alice.name in html
    assert 'id="incoming"' not in html


@pytest.fixture
def suggested(dave, erin, alice, bob, connect):
    """Erin is suggested to Dave through two mutual connections, Alice and Bob."""
    for mutual in (alice, bob):
        connect(dave, mutual)
        connect(erin, mutual)
    return Suggestion.objects.create(
        user=dave,
        candidate=erin,
        rank=1,
        mutual_count=2,
        shared_groups=2,
        same_city=True,
    )


def test_a_suggestion_is_explained_with_names_groups_and_city(dave_client, suggested, erin):
    Profile.objects.filter(user=erin).update(city="Milano", region="Lombardia")

    response = dave_client.get("/rete/")

    [card] = response.context["suggestions"]()
    assert card.explanation == (
        "2 connessioni in comune: Alice Romano e Roberto Bianchi · 2 gruppi in comune · Milano"
    )
    assert "2 connessioni in comune: Alice Romano e Roberto Bianchi" in response.content.decode()


def test_explanation_names_two_and_counts_the_rest(dave_client, suggested):
    suggested.mutual_count = 5
    suggested.shared_groups = 1
    suggested.same_city = False
    suggested.save()

    [card] = dave_client.get("/rete/").context["suggestions"]()

    assert card.explanation == (
        "5 connessioni in comune: Alice Romano, Roberto Bianchi e 3 altri · 1 gruppo in comune"
    )


def test_explanation_in_english(dave_client, suggested):
    dave_client.cookies["django_language"] = "en"

    [card] = dave_client.get("/rete/", HTTP_ACCEPT_LANGUAGE="en").context["suggestions"]()

    assert card.explanation.startswith("2 connections in common: Alice Romano and Roberto Bianchi")


def test_a_region_only_members_city_is_never_shown(dave_client, suggested, erin):
    Profile.objects.filter(user=erin).update(
        city="Monza", region="Lombardia", location_visibility=Profile.LocationVisibility.REGION
    )

    response = dave_client.get("/rete/")

    [card] = response.context["suggestions"]()
    assert "Monza" not in card.explanation
    assert "Monza" not in response.content.decode()
    assert "Lombardia" in response.content.decode()


def test_a_mutual_no_longer_connected_is_not_named(dave_client, suggested, dave, bob):
    from connections.models import Connection

    Connection.objects.between(dave.pk, bob.pk).delete()

    [card] = dave_client.get("/rete/").context["suggestions"]()

    assert bob.name not in card.explanation
    assert card.explanation.startswith("2 connessioni in comune: Alice Romano e 1 altro")


def suggested_ids(client) -> list[int]:
    return [s.candidate_id for s in client.get("/rete/").context["suggestions"]()]


def test_read_time_excludes_a_candidate_now_connected(dave_client, suggested, dave, erin, connect):
    assert suggested_ids(dave_client) == [erin.pk]
    connect(dave, erin)
    assert suggested_ids(dave_client) == []


@pytest.mark.parametrize("who_blocks", ["dave", "erin"])
def test_read_time_excludes_a_block_either_way(dave_client, suggested, dave, erin, who_blocks):
    blocker, blocked = (dave, erin) if who_blocks == "dave" else (erin, dave)
    # Straight in the table: the engine's own clean-up must not be what hides it.
    Block.objects.create(blocker=blocker, blocked=blocked)

    assert suggested_ids(dave_client) == []


def test_read_time_excludes_a_dismissed_candidate(dave_client, suggested, dave, erin):
    Dismissal.objects.create(user=dave, candidate=erin)

    assert suggested_ids(dave_client) == []


@pytest.mark.parametrize("direction", ["sent", "received"])
def test_read_time_excludes_a_pending_request_either_way(
    dave_client, suggested, dave, erin, direction
):
    from connections.models import ConnectionRequest

    sender, recipient = (dave, erin) if direction == "sent" else (erin, dave)
    ConnectionRequest.objects.create(sender=sender, recipient=recipient)

    assert suggested_ids(dave_client) == []


def test_read_time_excludes_an_inactive_candidate(dave_client, suggested, erin):
    User.objects.filter(pk=erin.pk).update(is_active=False)

    assert suggested_ids(dave_client) == []


def test_other_members_suggestions_are_not_shown(bob_client, suggested, erin):
    assert erin.pk not in suggested_ids(bob_client)


def test_suggestions_fragment_for_htmx(dave_client, suggested, erin):
    response = dave_client.get("/rete/?part=suggestions", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert f'id="suggestion-{erin.pk}"' in html


def test_blocked_members_are_listed_for_the_blocker_only(dave_client, erin_client, dave, erin):
    Block.block(dave, erin)

    assert (
        erin.name
        in dave_client.get("/rete/?part=blocked", headers={"HX-Request": "true"}).content.decode()
    )
    assert dave.name not in erin_client.get("/rete/").content.decode().split('id="blocked"')[1]

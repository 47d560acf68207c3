"""The connections panel and list on a member's profile, and blocks hiding profiles."""

import pytest

from connections.models import Block, Connection, ConnectionRequest
from profiles.models import Profile


def profile_html(client, member, **extra) -> str:
    response = client.get(member.get_absolute_url(), **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_a_stranger_sees_connect_and_block(dave_client, erin):
    html = profile_html(dave_client, erin)

    assert 'data-state="none"' in html
    assert f'href="/rete/persone/{erin.pk}/connetti/"' in html
    assert 'data-testid="block"' in html


def test_the_owner_sees_no_panel(erin_client, erin):
    html = profile_html(erin_client, erin)

    assert 'data-testid="connect-panel"' not in html


def test_mutual_connections_are_named(dave_client, dave, erin, alice, bob, connect):
    for mutual in (alice, bob):
        connect(dave, mutual)
        connect(erin, mutual)

    html = profile_html(dave_client, erin)

    assert "2 connessioni in comune:" in html
    assert alice.name in html and bob.name in html


def test_pending_sent_shows_withdraw(dave_client, dave, erin, request_from):
    request_from(dave, erin)

    html = profile_html(dave_client, erin)

    assert 'data-testid="state-sent"' in html and 'data-testid="withdraw"' in html


def test_pending_received_shows_accept_with_the_message(erin_client, dave, erin, request_from):
    request_from(dave, erin, "Ciao Erica, dal gruppo SEO")

    html = profile_html(erin_client, dave)

    assert 'data-testid="state-received"' in html
    assert "Ciao Erica, dal gruppo SEO" in html


def test_accepting_from_the_profile_returns_to_it(erin_client, dave, erin, request_from):
    pending = request_from(dave, erin)

    response = erin_client.post(
        f"/rete/richieste/{pending.pk}/", {"action": "accept", "next": dave.get_absolute_url()}
    )

    assert response["Location"] == dave.get_absolute_url()
    assert Connection.objects.between(dave.pk, erin.pk).exists()
    assert 'data-testid="state-connected"' in profile_html(erin_client, dave)


def test_remove_a_connection_from_the_profile(dave_client, dave, erin, connect):
    connect(dave, erin)
    assert 'data-testid="remove-connection"' in profile_html(dave_client, erin)

    response = dave_client.post(f"/rete/persone/{erin.pk}/rimuovi/", headers={"HX-Request": "true"})

    assert 'data-state="none"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert not Connection.objects.between(dave.pk, erin.pk).exists()


def test_remove_without_js_redirects_back(dave_client, dave, erin, connect):
    connect(dave, erin)

    response = dave_client.post(
        f"/rete/persone/{erin.pk}/rimuovi/", {"next": erin.get_absolute_url()}
    )

    assert response["Location"] == erin.get_absolute_url()
    assert not Connection.objects.between(dave.pk, erin.pk).exists()


@pytest.mark.parametrize("path", ["rimuovi", "blocca", "sblocca", "nascondi", "connetti"])
def test_member_actions_refuse_anonymous(client, erin, path):
    response = client.post(f"/rete/persone/{erin.pk}/{path}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["rimuovi", "blocca", "sblocca", "nascondi"])
def test_member_actions_are_post_only(dave_client, erin, path):
    assert dave_client.get(f"/rete/persone/{erin.pk}/{path}/").status_code == 405


@pytest.mark.parametrize("path", ["rimuovi", "blocca", "sblocca", "nascondi"])
def test_member_actions_on_unknown_members_are_404(dave_client, db, path):
    assert dave_client.post(f"/rete/persone/987654/{path}/").status_code == 404


def test_blocking_ends_the_connection_and_requests_and_hides_both_profiles(
    dave_client, erin_client, dave, erin, connect
):
    connect(dave, erin)

    response = dave_client.post(f"/rete/persone/{erin.pk}/blocca/", headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == "/rete/#blocked"
    assert Block.objects.filter(blocker=dave, blocked=erin).exists()
    assert not Connection.objects.between(dave.pk, erin.pk).exists()
    assert dave_client.get(erin.get_absolute_url()).status_code == 404
    assert erin_client.get(dave.get_absolute_url()).status_code == 404
    # htmx fragments of the profile too
    assert (
        dave_client.get(
            erin.get_absolute_url() + "?part=connections", headers={"HX-Request": "true"}
        ).status_code
        == 404
    )
    assert (
        erin_client.get(
            dave.get_absolute_url() + "?part=header", headers={"HX-Request": "true"}
        ).status_code
        == 404
    )


def test_blocking_yourself_is_a_clear_message(dave_client, dave):
    response = dave_client.post(f"/rete/persone/{dave.pk}/blocca/", follow=True)

    assert "Non puoi bloccare te stesso." in response.content.decode()
    assert not Block.objects.exists()


def test_unblocking_shows_the_profile_again(dave_client, erin_client, dave, erin):
    Block.block(dave, erin)

    response = dave_client.post(f"/rete/persone/{erin.pk}/sblocca/", headers={"HX-Request": "true"})

    assert 'id="blocked"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert not Block.objects.exists()
    assert erin_client.get(dave.get_absolute_url()).status_code == 200


def test_the_blocked_member_cannot_unblock(erin_client, dave, erin):
    Block.block(dave, erin)

    erin_client.post(f"/rete/persone/{dave.pk}/sblocca/")

    assert Block.objects.filter(blocker=dave, blocked=erin).exists()


def test_a_blocked_member_is_left_out_of_someone_elses_connections_list(
    dave_client, dave, erin, alice, connect
):
    connect(alice, erin)
    connect(alice, dave)
    Block.block(erin, dave)

    html = profile_html(dave_client, alice)

    assert erin.name not in html


# Who sees a member's connections list: Profile.connections_visibility ------------------


@pytest.fixture
def erin_network(erin, alice, connect):
    """Erin is connected with Alice; Alice's name is what a visible list shows."""
    connect(erin, alice)
    return alice


VIEWERS = ["owner", "connection", "member"]
MATRIX = {
    Profile.ConnectionsVisibility.MEMBERS: {"owner", "connection", "member"},
    Profile.ConnectionsVisibility.CONNECTIONS: {"owner", "connection"},
    Profile.ConnectionsVisibility.NOBODY: {"owner"},
}


@pytest.mark.parametrize("visibility", list(MATRIX))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_connections_list_honours_visibility_in_page_and_fragments(
    visibility, viewer, erin, erin_client, alice_client, dave_client, erin_network
):
    Profile.objects.filter(user=erin).update(connections_visibility=visibility)
    client = {"owner": erin_client, "connection": alice_client, "member": dave_client}[viewer]
    url = erin.get_absolute_url()

    page = client.get(url).content.decode()
    fragment = client.get(
        url + "?part=connections", headers={"HX-Request": "true"}
    ).content.decode()
    header = client.get(url + "?part=header", headers={"HX-Request": "true"}).content.decode()

    shown = viewer in MATRIX[visibility]
    assert ('data-testid="member-connections"' in page) is shown
    assert ('data-testid="member-connections"' in fragment) is shown
    assert 'data-testid="member-connections"' not in header
    if viewer == "member":
        # Dave is not connected: Alice's name can only come from the list.
        assert (erin_network.name in page) is shown
        assert (erin_network.name in fragment) is shown


def test_the_list_counts_all_and_shows_the_first_twelve(dave_client, erin, make_user, connect):
    for n in range(15):
        connect(erin, make_user(f"c{n}@example.com", f"Contatto {n:02d}"))

    html = profile_html(dave_client, erin)

    assert 'data-testid="member-connection-count">15<' in html
    assert "Contatto 11" in html and "Contatto 12" not in html


def test_a_pending_request_is_withdrawn_from_the_profile(dave_client, dave, erin, request_from):
    pending = request_from(dave, erin)

    dave_client.post(
        f"/rete/richieste/{pending.pk}/", {"action": "withdraw", "next": erin.get_absolute_url()}
    )

    pending.refresh_from_db()
    assert pending.status == ConnectionRequest.Status.WITHDRAWN
    assert 'data-state="none"' in profile_html(dave_client, erin)

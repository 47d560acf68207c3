"""Activity stats on the profile count only what the viewer's groups let them see."""

import pytest

from groups.models import Post

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alices_activity(alice, bob, closed_group, open_group):
    # In the closed group: alice asks one question and gets an accepted answer from bob...
    secret = Post.ask(closed_group, alice, title="Tariffe per schede prodotto?", body="Quanto?")
    accepted = secret.answer(bob, body="Dipende dal volume.")
    secret.accept(accepted, by=alice)
    # ...and bob asks one that alice answers (accepted). In the open group alice answers once.
    question = Post.ask(closed_group, bob, title="Contratti di cessione?", body="Come fate?")
    alice_answer = question.answer(alice, body="Modello standard.")
    question.accept(alice_answer, by=bob)
    open_group.add_member(bob)
    public = Post.ask(open_group, bob, title="Quale tool per i social?", body="Consigli?")
    public.answer(alice, body="Uso un calendario condiviso.")
    deleted = public.answer(alice, body="Doppione")
    Post.objects.filter(pk=deleted.pk).update(deleted_at=deleted.created_at)
    return alice


def stats(client, user, fragment=False):
    response = client.get(
        user.get_absolute_url() + ("?part=activity" if fragment else ""), **(HX if fragment else {})
    )
    html = response.content.decode()
    values = []
    for name in ("questions", "answers", "accepted"):
        marker = f'data-testid="stat-{name}">'
        values.append(int(html.split(marker, 1)[1].split("<", 1)[0]))
    return tuple(values), html


@pytest.mark.parametrize("fragment", [False, True])
def test_members_of_the_closed_group_count_everything(alices_activity, bob_client, fragment):
    assert stats(bob_client, alices_activity, fragment)[0] == (1, 2, 1)


@pytest.mark.parametrize("fragment", [False, True])
def test_outsiders_count_only_open_group_activity(alices_activity, dave_client, fragment):
    counted, html = stats(dave_client, alices_activity, fragment)
    assert counted == (0, 1, 0)
    assert "Tariffe" not in html and "Copywriter Italia" not in html


def test_staff_and_owner_count_everything(alices_activity, staff_client, alice_client):
    assert stats(staff_client, alices_activity)[0] == (1, 2, 1)
    assert stats(alice_client, alices_activity)[0] == (1, 2, 1)


def test_a_member_who_leaves_the_closed_group_stops_counting_it(
    alices_activity, bob, bob_client, closed_group
):
    closed_group.leave(bob)
    assert stats(bob_client, alices_activity)[0] == (0, 1, 0)

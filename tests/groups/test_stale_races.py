"""Transitions that must re-read their preconditions under a lock, not trust a copy loaded
earlier (issue 19, items 11–14).

The first tests replay each race deterministically with a stale copy (any database); the
PostgreSQL ones run the real views or methods in threads, with the window between loading and
writing widened by a pause, so that the old code loses every time.
"""

import functools
import time

import pytest
from django.urls import reverse

from groups.models import Group, GroupActionError, Membership, Post, PostRevision

PAUSE = 0.4


def paused(monkeypatch, cls, name: str, seconds: float = PAUSE) -> None:
    """Make cls.name wait before it runs: whatever loaded its arguments is then stale."""
    original = getattr(cls, name)

    @functools.wraps(original)
    def slow(*args, **kwargs):
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(cls, name, slow)


def owners(group) -> list[int]:
    return list(group.memberships.filter(role="owner").values_list("user_id", flat=True))


# Deterministic replays -----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_answer_deleted_after_it_was_loaded_cannot_be_accepted(question, alice, bob):
    answer = question.answer(alice, body="Dipende dal marchio.")
    loaded = Post.objects.get(pk=answer.pk)
    answer.soft_delete(by=alice)

    with pytest.raises(GroupActionError):
        question.accept(loaded, by=bob)

    assert not Post.objects.filter(question=question, is_accepted=True).exists()


@pytest.mark.django_db
def test_a_demotion_from_a_copy_loaded_before_a_handover_leaves_the_new_owner_in_place(
    closed_group, alice, moderator, staff
):
    loaded = closed_group.memberships.get(user=moderator)  # a moderator, when loaded
    closed_group.transfer_ownership(closed_group.memberships.get(user=moderator), by=alice)

    with pytest.raises(GroupActionError):
        closed_group.set_role(loaded, Membership.Role.MEMBER, by=staff)

    assert owners(closed_group) == [moderator.pk]


@pytest.mark.django_db
def test_an_owner_who_handed_over_can_no_longer_appoint_from_their_old_seat(
    closed_group, alice, bob, moderator
):
    closed_group.transfer_ownership(closed_group.memberships.get(user=moderator), by=alice)

    with pytest.raises(GroupActionError):
        closed_group.set_role(
            closed_group.memberships.get(user=bob), Membership.Role.MODERATOR, by=alice
        )
    assert closed_group.memberships.get(user=bob).role == "member"


@pytest.mark.django_db
def test_two_edits_from_the_same_loaded_version_keep_the_middle_version_in_history(
    question, bob, moderator
):
    first, second = Post.objects.get(pk=question.pk), Post.objects.get(pk=question.pk)
    original = question.body

    assert first.edit(by=bob, body="Versione di mezzo", title=question.title)
    assert second.edit(by=moderator, body="Versione finale", title=question.title)

    history = list(PostRevision.objects.filter(post=question).order_by("pk").values_list("body"))
    assert history == [(original,), ("Versione di mezzo",)]
    question.refresh_from_db()
    assert question.body == "Versione finale"


# PostgreSQL: the real thing, in threads -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accepting_while_the_answer_is_deleted_never_leaves_a_deleted_answer_accepted(
    monkeypatch, question, alice, bob, all_at_once, logged_in
):
    paused(monkeypatch, Post, "accept")  # the accept view has loaded the answer by then
    for round_number in range(3):
        answer = question.answer(alice, body=f"Risposta {round_number}")
        slug = question.group.slug
        accept_url = reverse("groups:accept", args=[slug, answer.pk])
        delete_url = reverse("groups:post_delete", args=[slug, answer.pk])
        asker, author = logged_in(bob), logged_in(alice)

        responses = all_at_once([lambda: asker.post(accept_url), lambda: author.post(delete_url)])

        assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
        answer.refresh_from_db()
        assert answer.is_deleted
        assert not answer.is_accepted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_handover_racing_a_staff_demotion_leaves_exactly_one_owner(
    monkeypatch, closed_group, alice, moderator, staff, all_at_once, logged_in
):
    # The staff view has loaded the moderator's seat by then, and the hand-over has run.
    paused(monkeypatch, Group, "set_role", seconds=1.0)
    url = reverse("groups:member_action", args=[closed_group.slug, moderator.pk])
    owner_client, staff_client = logged_in(alice), logged_in(staff)
    for client in (owner_client, staff_client):  # warm up: the first request is the slowest
        assert client.get(reverse("groups:members", args=[closed_group.slug])).status_code == 200

    responses = all_at_once(
        [
            lambda: owner_client.post(url, {"action": "transfer"}),
            lambda: staff_client.post(url, {"action": "demote"}),
        ]
    )

    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    assert owners(closed_group) == [moderator.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_join_racing_a_ban_never_leaves_a_banned_member_seated(
    monkeypatch, open_group, alice, make_user, all_at_once
):
    paused(monkeypatch, Group, "add_member")  # join has checked the bans by then
    for round_number in range(3):
        person = make_user(f"intruso{round_number}@example.com", f"Intruso {round_number}")

        def join(person=person):
            try:
                return open_group.join(person)
            except GroupActionError as error:
                return error

        results = all_at_once([join, lambda person=person: open_group.ban(person, by=alice)])

        assert not any(
            isinstance(r, Exception) and not isinstance(r, GroupActionError) for r in results
        ), results
        assert open_group.bans.filter(user=person).exists()
        assert not open_group.memberships.filter(user=person).exists()
    open_group.refresh_from_db()
    assert open_group.member_count == open_group.memberships.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_edits_keep_the_original_and_the_middle_version(
    monkeypatch, question, bob, moderator, all_at_once, logged_in
):
    paused(monkeypatch, Post, "edit")  # both views have loaded the original by then
    url = reverse("groups:post_edit", args=[question.group.slug, question.pk])
    original = question.body
    clients = [logged_in(bob), logged_in(moderator)]
    bodies = ["Versione di Roberto", "Versione di Monica"]

    responses = all_at_once(
        [
            lambda c=c, b=b: c.post(url, {"title": question.title, "body": b})
            for c, b in zip(clients, bodies)
        ]
    )

    assert [getattr(r, "status_code", r) for r in responses] == [302, 302]
    history = [body for (body,) in question.revisions.order_by("pk").values_list("body")]
    question.refresh_from_db()
    assert len(history) == 2
    assert history[0] == original
    # The middle version is whichever edit went first; the other is the current body.
    assert {history[1], question.body} == set(bodies)

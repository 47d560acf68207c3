"""groups.views.access: a member's seat and a group's post, each read by one compiled query,
are what the ORM reads and let in exactly whom they did."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from groups.models import Group, Membership
from groups.views.access import get_post_for_participant, get_post_for_reader, get_seat


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_members_seat_is_the_orm_s(closed_group, alice, bob, moderator, dave):
    for user, role in [
        (alice, Membership.Role.OWNER),
        (bob, Membership.Role.MEMBER),
        (moderator, Membership.Role.MODERATOR),
        (dave, None),
    ]:
        seat = get_seat(request_of(user), closed_group.slug)

        expected = Group.objects.select_related("sector").get(slug=closed_group.slug)
        assert seat.group == expected and seat.group.sector == expected.sector
        assert seat.group.name == expected.name and seat.group.visibility == "closed"
        assert seat.membership == expected.membership_for(user)
        assert (seat.membership.role if seat.membership else None) == role
        assert seat.can_read == (role is not None)


def test_a_visitor_s_seat_has_no_membership(closed_group):
    seat = get_seat(request_of(AnonymousUser()), closed_group.slug)

    assert seat.group == closed_group and seat.membership is None and not seat.can_read


@pytest.mark.parametrize("slug", ["nessun-gruppo", "copywriter-italia-2", "x" * 300])
def test_an_unknown_address_is_404_for_members_and_visitors(closed_group, bob, slug):
    for user in (bob, AnonymousUser()):
        with pytest.raises(Http404):
            get_seat(request_of(user), slug)


def test_a_post_comes_with_its_author_and_question(closed_group, question, alice, bob):
    answer = question.answer(alice, body="Dipende dal cliente.")

    seat, post = get_post_for_reader(request_of(bob), closed_group.slug, answer.pk)

    assert post == answer and post.body == "Dipende dal cliente."
    assert post.author == alice and post.author.email == alice.email
    assert post.question == question and post.question.title == question.title
    assert post.group is seat.group and post.question.group is seat.group
    _, asked = get_post_for_reader(request_of(bob), closed_group.slug, question.pk)
    assert asked.question is None and asked.author == bob


def test_a_post_of_an_account_since_deleted_has_no_author(closed_group, question, alice, bob):
    answer = question.answer(alice, body="Risposta orfana.")
    alice_posts = type(answer).objects.filter(pk=answer.pk)
    alice_posts.update(author=None)

    _, post = get_post_for_reader(request_of(bob), closed_group.slug, answer.pk)

    assert post.author is None and post.author_id is None


def test_a_post_of_another_group_or_none_is_404(closed_group, open_group, question, bob):
    for slug, pk in [(open_group.slug, question.pk), (closed_group.slug, question.pk + 1000)]:
        with pytest.raises(Http404):
            get_post_for_reader(request_of(bob), slug, pk)


def test_outside_a_closed_group_its_posts_are_404_and_a_reader_may_not_take_part(
    closed_group, open_group, question, alice, dave
):
    with pytest.raises(Http404):
        get_post_for_reader(request_of(dave), closed_group.slug, question.pk)
    open_question = type(question).ask(open_group, alice, title="Aperta?", body="Per tutti.")
    seat, post = get_post_for_reader(request_of(dave), open_group.slug, open_question.pk)
    assert post == open_question and seat.membership is None
    with pytest.raises(PermissionDenied):
        get_post_for_participant(request_of(dave), open_group.slug, open_question.pk)

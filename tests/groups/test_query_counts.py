"""Pinned query counts: the same number of queries at 10 and at 200 items."""

import pytest
from django.urls import reverse

from groups.models import Group, JoinRequest, Membership

pytestmark = pytest.mark.usefixtures("rendered_pages")


@pytest.mark.parametrize("size", [10, 200])
def test_group_list_queries(dave_client, alice, sector, size, django_assert_num_queries):
    Group.objects.bulk_create(
        Group(
            name=f"Gruppo {i:03d}",
            slug=f"gruppo-{i:03d}",
            sector=sector,
            creator=alice,
            visibility="closed" if i % 2 else "open",
        )
        for i in range(size)
    )

    # user, sectors, count, page, the member's seats and requests (groups.shared, for the
    # cards' pills), badge
    with django_assert_num_queries(6):
        response = dave_client.get(reverse("groups:list"))

    assert response.status_code == 200
    assert response.content.count(b'data-testid="group-card"') == min(size, 24)


@pytest.mark.parametrize("size", [10, 200])
def test_group_page_queries(
    bob_client, closed_group, password_hash, size, django_assert_num_queries, crowd
):
    Membership.objects.bulk_create(
        Membership(group=closed_group, user=user) for user in crowd(size)
    )
    closed_group.recount()

    # user, group with bob's seat, recent members, recent threads, unanswered count,
    # most active members, upcoming events, badge
    with django_assert_num_queries(8):
        response = bob_client.get(closed_group.get_absolute_url())

    assert response.status_code == 200
    assert f'data-member-count="{size + 3}"'.encode() in response.content


@pytest.mark.parametrize("size", [10, 200])
def test_queue_queries(
    alice_client, closed_group, password_hash, size, django_assert_num_queries, crowd
):
    JoinRequest.objects.bulk_create(
        JoinRequest(group=closed_group, user=user, answer="Per passione") for user in crowd(size)
    )
    closed_group.recount()

    # user, group with alice's seat, count, page of requests with requesters,
    # requesters' connections already in the group (connections app), badge
    with django_assert_num_queries(6):
        response = alice_client.get(reverse("groups:queue", args=[closed_group.slug]))

    assert response.status_code == 200
    assert response.content.count(b'data-testid="request-card"') == min(size + 1, 50)


@pytest.mark.parametrize("size", [10, 200])
def test_members_page_queries(
    bob_client, closed_group, password_hash, size, django_assert_num_queries, crowd
):
    Membership.objects.bulk_create(
        Membership(group=closed_group, user=user) for user in crowd(size)
    )
    closed_group.recount()

    # user, group with bob's seat, count, page of members with users, badge
    with django_assert_num_queries(5):
        response = bob_client.get(reverse("groups:members", args=[closed_group.slug]))

    assert response.status_code == 200

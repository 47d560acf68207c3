"""The admin pages, the demo data and the groups on the home page."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from groups.models import Ban, Group, JoinRequest, Membership, ModerationLog


@pytest.mark.parametrize(
    "model",
    [
        "profiles_sector",
        "groups_group",
        "groups_membership",
        "groups_joinrequest",
        "groups_ban",
        "groups_moderationlog",
    ],
)
def test_admin_changelists_and_search_load(staff_client, closed_group, model):
    url = reverse(f"admin:{model}_changelist")

    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": "copy"}).status_code == 200


def test_admin_group_autocomplete_answers(staff_client, closed_group):
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Copy",
            "app_label": "groups",
            "model_name": "membership",
            "field_name": "group",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"][0]["text"] == "Copywriter Italia"


def test_admin_bulk_approve_action(staff_client, staff, closed_group, carol, dave):
    closed_group.request_to_join(dave, answer="Copy per banche")
    pending = list(closed_group.join_requests.pending().values_list("pk", flat=True))

    response = staff_client.post(
        reverse("admin:groups_joinrequest_changelist"),
        {"action": "approve_selected", "_selected_action": pending},
    )

    assert response.status_code == 302
    assert set(closed_group.memberships.values_list("user__email", flat=True)) >= {
        "carol@example.com",
        "dave@example.com",
    }
    closed_group.refresh_from_db()
    assert (closed_group.member_count, closed_group.pending_count) == (5, 0)
    assert ModerationLog.objects.filter(actor=staff, action="approve").count() == 2


def test_admin_membership_delete_keeps_the_counter_true(staff_client, closed_group, bob):
    seat = closed_group.memberships.get(user=bob)

    staff_client.post(reverse("admin:groups_membership_delete", args=[seat.pk]), {"post": "yes"})

    closed_group.refresh_from_db()
    assert closed_group.member_count == closed_group.memberships.count() == 2


def test_non_staff_cannot_open_the_groups_admin(bob_client, closed_group):
    response = bob_client.get(reverse("admin:groups_group_changelist"))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_seed_demo_builds_the_personas_groups_and_is_rerunnable(db):
    call_command("seed_demo", members=12, allow_non_dev=True, verbosity=0)
    call_command("seed_demo", members=12, allow_non_dev=True, verbosity=0)

    copywriters = Group.objects.get(slug="copywriter-italia")
    assert copywriters.visibility == "closed"
    roles = dict(copywriters.memberships.values_list("user__email", "role"))
    assert roles["alice@gilda.demo"] == "owner"
    assert roles["bob@gilda.demo"] == "member"
    assert roles["erin@gilda.demo"] == "moderator"
    assert copywriters.join_requests.pending().filter(user__email="carol@gilda.demo").exists()
    assert {"open", "closed"} == set(Group.objects.values_list("visibility", flat=True))
    assert Group.objects.values("sector").distinct().count() >= 4
    for group in Group.objects.all():
        assert group.member_count == group.memberships.count()
        assert group.pending_count == group.join_requests.pending().count()
        assert group.memberships.filter(role="owner").count() == 1
    assert JoinRequest.objects.pending().count() >= 4
    assert not Ban.objects.exists()
    assert Membership.objects.filter(role="moderator").exists()


def test_home_shows_my_groups_and_groups_to_discover(bob_client, closed_group, open_group):
    content = bob_client.get("/").content.decode()

    mine = content.split('data-testid="home-my-groups"')[1].split("</section>")[0]
    discover = content.split('data-testid="home-featured-groups"')[1].split("</section>")[0]
    assert "Copywriter Italia" in mine
    assert "Social media manager" in discover and "Copywriter Italia" not in discover


def test_home_for_visitors_lists_groups_to_discover(client, closed_group):
    content = client.get("/").content.decode()

    assert 'data-testid="home-my-groups"' not in content
    assert "Copywriter Italia" in content

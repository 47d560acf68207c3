"""Every role against every groups view and fragment, on an open and on a closed group.

Each cell asserts the status code and what the database holds afterwards.
"""

import pytest
from django.urls import reverse

from groups.models import Ban, Group, JoinRequest, Membership, ModerationLog


def url(name: str, world, *args) -> str:
    return reverse(f"groups:{name}", args=[world.group.slug, *args])


# Pages everybody may open ----------------------------------------------------------------


def test_group_list(world):
    response = world.client.get(reverse("groups:list"))

    assert response.status_code == 200
    assert "Gruppo prova" in response.content.decode()
    world.counters_match()
    world.unchanged()


def test_group_list_fragment(world):
    response = world.client.get(reverse("groups:list"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert b'id="results"' in response.content
    assert b"<html" not in response.content
    world.unchanged()


def test_group_page_shows_the_card_to_all_and_the_inside_to_readers(world):
    response = world.client.get(url("detail", world))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Gruppo prova" in content and "Siate gentili." in content
    assert 'data-member-count="3"' in content
    assert ('id="threads"' in content) == world.reads_inside()
    assert ('id="member-list"' in content) is False
    assert ('data-testid="queue-badge"' in content) == (world.role in world.MODERATORS)
    world.counters_match()
    world.unchanged()


def test_group_page_fragment_is_for_readers_only(world):
    response = world.client.get(url("detail", world), headers={"HX-Request": "true"})

    if world.reads_inside():
        assert response.status_code == 200
        assert b'id="threads"' in response.content
        assert b"<html" not in response.content
    else:
        assert response.status_code == 404
        assert b"threads" not in response.content
    world.unchanged()


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_member_list(world, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = world.client.get(url("members", world), headers=headers)

    if world.reads_inside():
        assert response.status_code == 200
        assert b"Mario Membro" in response.content
        assert (b"<html" in response.content) is not htmx
    else:
        assert response.status_code == 404
        assert b"Mario Membro" not in response.content
    world.unchanged()


def test_my_groups(world):
    response = world.client.get(reverse("groups:mine"))

    if world.role == "anonymous":
        world.assert_login_redirect(response)
        world.unchanged()
        return
    assert response.status_code == 200
    content = response.content.decode()
    assert ("Gruppo prova" in content) == (world.role in world.SEATED | {"pending"})
    assert (url("withdraw", world) in content) == (world.role == "pending")

    # Creating ---------------------------------------------------------------------------------
    world.unchanged()


def test_create_group(world):
    response = world.client.post(
        reverse("groups:create"),
        {
            "name": "Nuovo gruppo",
            "sector": world.group.sector_id,
            "visibility": "closed",
            "language": "it",
            "description": "Ciao",
            "rules": "",
            "membership_question": "Chi sei?",
        },
    )

    created = Group.objects.filter(slug="nuovo-gruppo").first()
    if world.role == "anonymous":
        world.assert_login_redirect(response)
        assert created is None
        return
    assert response.status_code == 302
    assert created.memberships.get().user == world.user
    assert created.memberships.get().role == Membership.Role.OWNER
    assert created.member_count == 1


# Joining, withdrawing, leaving ------------------------------------------------------------


def test_join(world):
    before = set(world.group.memberships.values_list("user_id", flat=True))
    requests_before = JoinRequest.objects.count()

    response = world.client.post(
        url("join", world), {"accept_rules": "on", "answer": "Scrivo per il web."}
    )

    after = set(world.group.memberships.values_list("user_id", flat=True))
    role = world.role
    if role == "anonymous":
        world.assert_login_redirect(response)
        assert after == before
    elif role in world.SEATED:
        assert response.status_code == 302
        assert after == before
        assert JoinRequest.objects.count() == requests_before
    elif role == "banned":
        assert response.status_code == (302 if world.visibility == "open" else 400)
        assert after == before
        assert JoinRequest.objects.count() == requests_before
    elif world.visibility == "open":
        # outsider, pending, rejected, other moderator, staff: one click joins.
        assert response.status_code == 302
        assert after == before | {world.user.pk}
        assert not world.group.join_requests.pending().filter(user=world.user).exists()
    elif role == "rejected":
        assert response.status_code == 400
        assert after == before
        assert JoinRequest.objects.count() == requests_before
    elif role == "pending":
        assert response.status_code == 302
        assert world.group.join_requests.pending().filter(user=world.user).count() == 1
        assert JoinRequest.objects.count() == requests_before
    else:
        # outsider, other moderator, staff ask to join the closed group.
        assert response.status_code == 302
        assert after == before
        assert world.group.join_requests.pending().filter(user=world.user).count() == 1
    world.counters_match()


def test_withdraw(world):
    response = world.client.post(url("withdraw", world))

    pending = JoinRequest.objects.get(group=world.group, user=world.users["pending"])
    if world.role == "anonymous":
        world.assert_login_redirect(response)
    else:
        assert response.status_code == 302
    expected = "withdrawn" if world.role == "pending" else "pending"
    assert pending.status == expected
    world.counters_match()


def test_leave(world):
    response = world.client.post(url("leave", world))

    if world.role == "anonymous":
        world.assert_login_redirect(response)
        world.counters_match()
        assert world.group.member_count == 3
        world.unchanged()
        return
    assert response.status_code == 302
    if world.role in ("member", "moderator"):
        assert not world.is_member(world.role)
    elif world.role == "owner":
        assert world.is_member("owner")
    assert world.group.memberships.count() == (2 if world.role in ("member", "moderator") else 3)
    world.counters_match()


# Inside: the queue and the moderation -----------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_queue(world, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = world.client.get(url("queue", world), headers=headers)

    if world.role in world.MODERATORS:
        assert response.status_code == 200
        assert b"Anna Aspirante" in response.content
        assert (b"<html" in response.content) is not htmx
    elif world.role == "anonymous":
        world.assert_login_redirect(response)
    else:
        assert response.status_code == world.refused_status()
        assert b"Anna Aspirante" not in response.content
    world.unchanged()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_approve(world, htmx):
    headers = {"HX-Request": "true"} if htmx else {}

    response = world.client.post(
        url("decide", world, world.target_request.pk), {"decision": "approve"}, headers=headers
    )

    world.target_request.refresh_from_db()
    if world.role in world.MODERATORS:
        assert response.status_code == (200 if htmx else 302)
        assert world.target_request.status == "approved"
        assert world.is_member("applicant")
        assert ModerationLog.objects.filter(action="approve", actor=world.user).exists()
    else:
        world.assert_refused(response)
        assert world.target_request.status == "pending"
        assert not world.is_member("applicant")
    world.counters_match()


def test_reject(world):
    response = world.client.post(
        url("decide", world, world.target_request.pk),
        {"decision": "reject", "preset": "answer"},
        headers={"HX-Request": "true"},
    )

    world.target_request.refresh_from_db()
    if world.role in world.MODERATORS:
        assert response.status_code == 200
        assert world.target_request.status == "rejected"
        assert world.target_request.reason
    else:
        world.assert_refused(response)
        assert world.target_request.status == "pending"
    assert not world.is_member("applicant")
    world.counters_match()


def test_bulk_approve(world):
    pending_ids = list(world.group.join_requests.pending().values_list("pk", flat=True))

    response = world.client.post(url("bulk_approve", world), {"requests": pending_ids})

    approved = world.group.join_requests.filter(status="approved").count()
    if world.role in world.MODERATORS:
        assert response.status_code == 302
        assert approved == 2
        assert world.is_member("applicant") and world.is_member("pending")
    else:
        world.assert_refused(response)
        assert approved == 0
    world.counters_match()


@pytest.mark.parametrize("action", ["remove", "ban"])
def test_remove_or_ban_a_member(world, action):
    member = world.users["member"]

    response = world.client.post(
        url("member_action", world, member.pk), {"action": action, "reason": "Spam"}
    )

    if world.role in world.MODERATORS:
        assert response.status_code == 302
        assert not world.is_member("member")
        assert Ban.objects.filter(group=world.group, user=member).exists() == (action == "ban")
        assert ModerationLog.objects.get(action=action).target == member
    else:
        world.assert_refused(response)
        assert world.is_member("member")
        assert not ModerationLog.objects.filter(action=action).exists()
    world.counters_match()


def test_appoint_a_moderator(world):
    member = world.users["member"]

    response = world.client.post(url("member_action", world, member.pk), {"action": "promote"})

    role = Membership.objects.get(group=world.group, user=member).role
    if world.role in ("owner", "staff"):
        assert response.status_code == 302
        assert role == "moderator"
    else:
        world.assert_refused(response)
        assert role == "member"


def test_hand_ownership_over(world):
    member = world.users["member"]

    response = world.client.post(url("member_action", world, member.pk), {"action": "transfer"})

    owner = world.group.memberships.get(role="owner").user
    if world.role in ("owner", "staff"):
        assert response.status_code == 302
        assert owner == member
        assert world.group.memberships.get(user=world.users["owner"]).role == "moderator"
    else:
        world.assert_refused(response)
        assert owner == world.users["owner"]


def test_edit_group(world):
    response = world.client.post(
        url("edit", world),
        {
            "name": "Gruppo rinominato",
            "sector": world.group.sector_id,
            "visibility": world.visibility,
            "language": "it",
            "description": "Nuova descrizione",
            "rules": "Siate gentili.",
            "membership_question": "",
        },
    )

    world.group.refresh_from_db()
    if world.role in world.MODERATORS:
        assert response.status_code == 302
        assert world.group.name == "Gruppo rinominato"
        assert world.group.description_html == "<p>Nuova descrizione</p>\n"
    else:
        world.assert_refused(response)
        assert world.group.name == "Gruppo prova"


def test_moderation_log(world):
    response = world.client.get(url("log", world))

    if world.role in world.MODERATORS:
        assert response.status_code == 200
        assert b"Marco Moderatore" in response.content
    elif world.role == "anonymous":
        world.assert_login_redirect(response)
    else:
        assert response.status_code == world.refused_status()
        assert b"Marco Moderatore" not in response.content
    world.unchanged()


def test_join_page(world):
    response = world.client.get(url("join", world))

    role = world.role
    if role == "anonymous":
        world.assert_login_redirect(response)
    elif world.visibility == "open" or role in world.SEATED or role == "pending":
        # Nothing to fill in: back to the group page, which has the button or the status.
        assert response.status_code == 302
        assert response["Location"] == world.group.get_absolute_url()
    else:
        assert response.status_code == 200
        content = response.content.decode()
        has_form = 'data-testid="join-form"' in content
        assert has_form == (role not in ("banned", "rejected"))
        assert ('data-testid="banned"' in content) == (role == "banned")
        assert ('data-testid="cooldown"' in content) == (role == "rejected")
    assert world.group.join_requests.pending().count() == 2
    world.unchanged()


def test_create_page(world):
    response = world.client.get(reverse("groups:create"))

    if world.role == "anonymous":
        world.assert_login_redirect(response)
    else:
        assert response.status_code == 200
        assert b'name="membership_question"' in response.content
    assert Group.objects.count() == 2
    world.unchanged()


def test_edit_page(world):
    response = world.client.get(url("edit", world))

    if world.role in world.MODERATORS:
        assert response.status_code == 200
        assert b'value="Gruppo prova"' in response.content
    elif world.role == "anonymous":
        world.assert_login_redirect(response)
    else:
        assert response.status_code == world.refused_status()
        assert b"Gruppo prova" not in response.content
    world.unchanged()


def test_lift_a_ban(world):
    banned = world.users["banned"]

    response = world.client.post(url("ban_lift", world, banned.pk))

    still_banned = Ban.objects.filter(group=world.group, user=banned).exists()
    if world.role in world.MODERATORS:
        assert response.status_code == 302
        assert not still_banned
        assert ModerationLog.objects.get(action="unban").actor == world.user
    else:
        world.assert_refused(response)
        assert still_banned


def test_bans_are_listed_for_moderators_only(world):
    response = world.client.get(url("members", world))

    if world.reads_inside():
        assert (b'data-testid="bans"' in response.content) == (world.role in world.MODERATORS)
        if world.role != "banned":  # who sees their own name in the menu
            assert (b"Bruno Bandito" in response.content) == (world.role in world.MODERATORS)
    else:
        assert response.status_code == 404
    world.unchanged()

"""Every role against every groups view and fragment, on an open and on a closed group.

Each cell asserts the status code and what the database holds afterwards.
"""

from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from groups.models import Ban, Group, JoinRequest, Membership, ModerationLog

ROLES = [
    "anonymous",
    "outsider",
    "pending",
    "rejected",
    "banned",
    "member",
    "moderator",
    "other_moderator",
    "owner",
    "staff",
]
VISIBILITIES = ["open", "closed"]
INSIDERS = {"member", "moderator", "owner", "staff"}
MODERATORS = {"moderator", "owner", "staff"}
SEATED = {"member", "moderator", "owner"}


@dataclass
class World:
    group: Group
    other: Group
    users: dict
    role: str
    visibility: str
    client: Client
    target_request: JoinRequest = field(default=None)
    before: tuple = field(default=())

    @property
    def user(self):
        return self.users.get(self.role)

    def reads_inside(self) -> bool:
        return self.visibility == "open" or self.role in INSIDERS

    def refused_status(self) -> int:
        """What a role without the right gets: login, 404 if the inside is hidden, else 403."""
        if self.role == "anonymous":
            return 302
        return 403 if self.reads_inside() else 404

    def is_member(self, role: str) -> bool:
        return self.group.memberships.filter(user=self.users[role]).exists()

    def snapshot(self) -> tuple:
        """Everything a groups view could change, to prove read-only views change nothing."""
        return (
            sorted(Membership.objects.values_list("group_id", "user_id", "role")),
            sorted(JoinRequest.objects.values_list("group_id", "user_id", "status")),
            sorted(Ban.objects.values_list("group_id", "user_id")),
            ModerationLog.objects.count(),
            sorted(Group.objects.values_list("slug", "name", "member_count", "pending_count")),
        )

    def unchanged(self) -> None:
        assert self.snapshot() == self.before

    def counters_match(self) -> None:
        self.group.refresh_from_db()
        assert self.group.member_count == self.group.memberships.count()
        assert self.group.pending_count == self.group.join_requests.pending().count()


@pytest.fixture(params=VISIBILITIES)
def visibility(request):
    return request.param


@pytest.fixture(params=ROLES)
def world(request, visibility, make_user, sector) -> World:
    role = request.param
    users = {
        "owner": make_user("owner@example.com", "Olivia Owner"),
        "moderator": make_user("mod@example.com", "Marco Moderatore"),
        "member": make_user("member@example.com", "Mario Membro"),
        "outsider": make_user("outsider@example.com", "Otto Esterno"),
        "pending": make_user("pending@example.com", "Paola Attesa"),
        "rejected": make_user("rejected@example.com", "Rita Rifiutata"),
        "banned": make_user("banned@example.com", "Bruno Bandito"),
        "other_moderator": make_user("othermod@example.com", "Oscar Altrove"),
        "staff": make_user("staff@example.com", "Stefano Staff", is_staff=True),
        "applicant": make_user("applicant@example.com", "Anna Aspirante"),
    }
    group = Group.create_with_owner(
        users["owner"],
        name="Gruppo prova",
        slug="gruppo-prova",
        sector=sector,
        visibility=visibility,
        membership_question="Perché vuoi entrare?" if visibility == "closed" else "",
        rules="Siate gentili.",
    )
    group.set_role(group.add_member(users["moderator"]), "moderator", by=users["owner"])
    group.add_member(users["member"])
    # Requests are built directly so the open group has them too (left from a closed past).
    for role_name in ("pending", "applicant"):
        JoinRequest.objects.create(group=group, user=users[role_name], answer="Perché sì.")
    JoinRequest.objects.create(
        group=group,
        user=users["rejected"],
        status=JoinRequest.Status.REJECTED,
        decided_at=timezone.now(),
        decided_by=users["owner"],
    )
    Ban.objects.create(group=group, user=users["banned"], banned_by=users["owner"])
    group.recount()
    other = Group.create_with_owner(
        users["outsider"], name="Altro gruppo", slug="altro-gruppo", sector=sector
    )
    other.set_role(other.add_member(users["other_moderator"]), "moderator", by=users["outsider"])

    client = Client()
    if role != "anonymous":
        client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
    target = JoinRequest.objects.get(group=group, user=users["applicant"])
    world = World(group, other, users, role, visibility, client, target)
    world.before = world.snapshot()
    return world


def url(name: str, world: World, *args) -> str:
    return reverse(f"groups:{name}", args=[world.group.slug, *args])


def assert_login_redirect(response) -> None:
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


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
    assert ('data-testid="queue-badge"' in content) == (world.role in MODERATORS)
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
        assert_login_redirect(response)
        world.unchanged()
        return
    assert response.status_code == 200
    content = response.content.decode()
    assert ("Gruppo prova" in content) == (world.role in SEATED | {"pending"})
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
        assert_login_redirect(response)
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
        assert_login_redirect(response)
        assert after == before
    elif role in SEATED:
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
        assert_login_redirect(response)
    else:
        assert response.status_code == 302
    expected = "withdrawn" if world.role == "pending" else "pending"
    assert pending.status == expected
    world.counters_match()


def test_leave(world):
    response = world.client.post(url("leave", world))

    if world.role == "anonymous":
        assert_login_redirect(response)
        assert world.group.member_count == 3
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

    if world.role in MODERATORS:
        assert response.status_code == 200
        assert b"Anna Aspirante" in response.content
        assert (b"<html" in response.content) is not htmx
    elif world.role == "anonymous":
        assert_login_redirect(response)
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
    if world.role in MODERATORS:
        assert response.status_code == (200 if htmx else 302)
        assert world.target_request.status == "approved"
        assert world.is_member("applicant")
        assert ModerationLog.objects.filter(action="approve", actor=world.user).exists()
    else:
        if world.role == "anonymous":
            assert_login_redirect(response)
        else:
            assert response.status_code == world.refused_status()
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
    if world.role in MODERATORS:
        assert response.status_code == 200
        assert world.target_request.status == "rejected"
        assert world.target_request.reason
    else:
        assert response.status_code in (302, 403, 404)
        if world.role != "anonymous":
            assert response.status_code == world.refused_status()
        assert world.target_request.status == "pending"
    assert not world.is_member("applicant")
    world.counters_match()


def test_bulk_approve(world):
    pending_ids = list(world.group.join_requests.pending().values_list("pk", flat=True))

    response = world.client.post(url("bulk_approve", world), {"requests": pending_ids})

    approved = world.group.join_requests.filter(status="approved").count()
    if world.role in MODERATORS:
        assert response.status_code == 302
        assert approved == 2
        assert world.is_member("applicant") and world.is_member("pending")
    else:
        if world.role == "anonymous":
            assert_login_redirect(response)
        else:
            assert response.status_code == world.refused_status()
        assert approved == 0
    world.counters_match()


@pytest.mark.parametrize("action", ["remove", "ban"])
def test_remove_or_ban_a_member(world, action):
    member = world.users["member"]

    response = world.client.post(
        url("member_action", world, member.pk), {"action": action, "reason": "Spam"}
    )

    if world.role in MODERATORS:
        assert response.status_code == 302
        assert not world.is_member("member")
        assert Ban.objects.filter(group=world.group, user=member).exists() == (action == "ban")
        assert ModerationLog.objects.get(action=action).target == member
    else:
        if world.role == "anonymous":
            assert_login_redirect(response)
        else:
            assert response.status_code == world.refused_status()
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
        if world.role == "anonymous":
            assert_login_redirect(response)
        else:
            assert response.status_code == world.refused_status()
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
        if world.role == "anonymous":
            assert_login_redirect(response)
        else:
            assert response.status_code == world.refused_status()
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
    if world.role in MODERATORS:
        assert response.status_code == 302
        assert world.group.name == "Gruppo rinominato"
        assert world.group.description_html == "<p>Nuova descrizione</p>\n"
    else:
        if world.role == "anonymous":
            assert_login_redirect(response)
        else:
            assert response.status_code == world.refused_status()
        assert world.group.name == "Gruppo prova"


def test_moderation_log(world):
    response = world.client.get(url("log", world))

    if world.role in MODERATORS:
        assert response.status_code == 200
        assert b"Marco Moderatore" in response.content
    elif world.role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == world.refused_status()
        assert b"Marco Moderatore" not in response.content
    world.unchanged()


def test_join_page(world):
    response = world.client.get(url("join", world))

    role = world.role
    if role == "anonymous":
        assert_login_redirect(response)
    elif world.visibility == "open" or role in SEATED or role == "pending":
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
        assert_login_redirect(response)
    else:
        assert response.status_code == 200
        assert b'name="membership_question"' in response.content
    assert Group.objects.count() == 2
    world.unchanged()


def test_edit_page(world):
    response = world.client.get(url("edit", world))

    if world.role in MODERATORS:
        assert response.status_code == 200
        assert b'value="Gruppo prova"' in response.content
    elif world.role == "anonymous":
        assert_login_redirect(response)
    else:
        assert response.status_code == world.refused_status()
        assert b"Gruppo prova" not in response.content
    world.unchanged()


def test_lift_a_ban(world):
    banned = world.users["banned"]

    response = world.client.post(url("ban_lift", world, banned.pk))

    still_banned = Ban.objects.filter(group=world.group, user=banned).exists()
    if world.role in MODERATORS:
        assert response.status_code == 302
        assert not still_banned
        assert ModerationLog.objects.get(action="unban").actor == world.user
    else:
        if world.role == "anonymous":
            assert_login_redirect(response)
        else:
            assert response.status_code == world.refused_status()
        assert still_banned


def test_bans_are_listed_for_moderators_only(world):
    response = world.client.get(url("members", world))

    if world.reads_inside():
        assert (b'data-testid="bans"' in response.content) == (world.role in MODERATORS)
        if world.role != "banned":  # who sees their own name in the menu
            assert (b"Bruno Bandito" in response.content) == (world.role in MODERATORS)
    else:
        assert response.status_code == 404
    world.unchanged()

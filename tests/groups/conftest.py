import copy
from dataclasses import dataclass, field

import pytest
from allauth.account.models import EmailAddress
from django.db import transaction
from django.test import Client
from django.utils import timezone

from groups.models import Ban, Group, JoinRequest, Membership, ModerationLog, Post, Sector
from profiles.models import User


@pytest.fixture
def question(closed_group, bob):
    return Post.ask(
        closed_group,
        bob,
        title="Quanto chiedere per un naming?",
        body="Mi hanno chiesto un **naming** per una startup. Che tariffe applicate?",
    )


@pytest.fixture
def answer(question, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return question.answer(alice, body="Dipende dalle verifiche sui marchi: da 1.500 euro.")


@pytest.fixture
def crowd(db, password_hash):
    """crowd(size): that many verified members, in two bulk inserts."""

    def make(size: int) -> list[User]:
        users = User.objects.bulk_create(
            User(
                email=f"persona{i:04d}@example.com",
                display_name=f"Persona {i}",
                password=password_hash,
            )
            for i in range(size)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
        )
        return users

    return make


# The permission matrices (test_permission_matrix.py, test_qa_permission_matrix.py): ten
# roles against one group, open or closed. The world is built once per visibility and module
# inside a transaction; each cell runs in a savepoint inside it and is rolled back.

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


@dataclass
class World:
    INSIDERS = frozenset({"member", "moderator", "owner", "staff"})
    MODERATORS = frozenset({"moderator", "owner", "staff"})
    SEATED = frozenset({"member", "moderator", "owner"})

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
        return self.visibility == "open" or self.role in self.INSIDERS

    def refused_status(self) -> int:
        """What a role without the right gets: login, 404 if the inside is hidden, else 403."""
        if self.role == "anonymous":
            return 302
        return 403 if self.reads_inside() else 404

    @staticmethod
    def assert_login_redirect(response) -> None:
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def assert_refused(self, response) -> None:
        if self.role == "anonymous":
            self.assert_login_redirect(response)
        else:
            assert response.status_code == self.refused_status()

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


def build_world(new_user, visibility: str) -> dict:
    users = {
        "owner": new_user("owner@example.com", "Olivia Owner"),
        "moderator": new_user("mod@example.com", "Marco Moderatore"),
        "member": new_user("member@example.com", "Mario Membro"),
        "outsider": new_user("outsider@example.com", "Otto Esterno"),
        "pending": new_user("pending@example.com", "Paola Attesa"),
        "rejected": new_user("rejected@example.com", "Rita Rifiutata"),
        "banned": new_user("banned@example.com", "Bruno Bandito"),
        "other_moderator": new_user("othermod@example.com", "Oscar Altrove"),
        "staff": new_user("staff@example.com", "Stefano Staff", is_staff=True),
        "applicant": new_user("applicant@example.com", "Anna Aspirante"),
    }
    # get_or_create: transactional tests flush the seeded sectors.
    sector = Sector.objects.get_or_create(
        slug="scrittura-ed-editoria",
        defaults={"name": "Scrittura ed editoria", "name_en": "Writing & publishing"},
    )[0]
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
    group.refresh_from_db()
    target = JoinRequest.objects.get(group=group, user=users["applicant"])
    return {"group": group, "other": other, "users": users, "target_request": target}


@pytest.fixture(scope="module", params=["open", "closed"])
def world_built(request, django_db_setup, django_db_blocker, new_user):
    """The matrix world for one visibility, committed to nothing: rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world(new_user, request.param)
        built["visibility"] = request.param
        built["before"] = World(**built, role="", client=None).snapshot()
        yield built
        transaction.set_rollback(True)


@pytest.fixture(params=ROLES)
def world(request, world_built, db) -> World:
    """One cell: the built world seen by one role, in a savepoint rolled back after the test."""
    role = request.param
    # A fresh copy per cell: tests refresh and edit these instances.
    world = World(**copy.deepcopy(world_built), role=role, client=Client())
    if role != "anonymous":
        world.client.force_login(world.user, backend="profiles.backends.ModelBackend")
    return world

"""Group.objects.readable_by(user), its visible_to and group.is_readable_by(user) always agree,
and all three match the answer computed from the drawn data alone."""

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.models import Ban, Group, JoinRequest, Membership
from profiles.models import User

USERS = 4
GROUPS = 4
pairs = st.sets(st.tuples(st.integers(0, USERS - 1), st.integers(0, GROUPS - 1)), max_size=10)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    staff=st.lists(st.booleans(), min_size=USERS, max_size=USERS),
    visibilities=st.lists(st.sampled_from(["open", "closed"]), min_size=GROUPS, max_size=GROUPS),
    seats=pairs,
    roles=st.lists(st.sampled_from(list(Membership.Role)), min_size=10, max_size=10),
    requests=pairs,
    bans=pairs,
)
def test_queryset_and_single_object_check_agree(
    sector, staff, visibilities, seats, roles, requests, bans
):
    with transaction.atomic():
        users = [
            User.objects.create(email=f"p{i}@example.com", is_staff=is_staff)
            for i, is_staff in enumerate(staff)
        ]
        groups = [
            Group.objects.create(name=f"G{i}", slug=f"g{i}", sector=sector, visibility=v)
            for i, v in enumerate(visibilities)
        ]
        owned = set()
        for (u, g), role in zip(sorted(seats), roles, strict=False):
            if role == Membership.Role.OWNER:
                # One owner per group is a database constraint.
                role = Membership.Role.MEMBER if g in owned else role
                owned.add(g)
            Membership.objects.create(user=users[u], group=groups[g], role=role)
        # Pending requests and bans must never open a closed group's inside.
        for u, g in requests:
            JoinRequest.objects.create(user=users[u], group=groups[g])
        for u, g in bans:
            Ban.objects.create(user=users[u], group=groups[g])

        opened = {grp.pk for grp in groups if grp.visibility == "open"}
        for user in [*users, AnonymousUser()]:
            # The expected answer, from the drawn data alone: staff read every group, anyone
            # else the open ones plus those they hold a seat in, whatever the role.
            if getattr(user, "is_staff", False):
                expected = {grp.pk for grp in groups}
            else:
                expected = opened | {groups[g].pk for u, g in seats if users[u].pk == user.pk}
            by_queryset = set(Group.objects.readable_by(user).values_list("pk", flat=True))
            by_visible_to = set(Group.objects.visible_to(user).values_list("pk", flat=True))
            one_by_one = {g.pk for g in Group.objects.all() if g.is_readable_by(user)}
            assert by_queryset == expected
            assert by_visible_to == expected
            assert one_by_one == expected
        transaction.set_rollback(True)

"""Post.objects.visible_to(user) and post.is_visible_to(user) always agree, and both match the
answer computed from the drawn data alone."""

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groups.models import Group, Membership, Post
from profiles.models import User

USERS = 3
GROUPS = 3
seats = st.sets(st.tuples(st.integers(0, USERS - 1), st.integers(0, GROUPS - 1)), max_size=9)
posts = st.lists(
    st.tuples(st.integers(0, GROUPS - 1), st.integers(0, USERS - 1), st.booleans(), st.booleans()),
    max_size=8,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    staff=st.lists(st.booleans(), min_size=USERS, max_size=USERS),
    visibilities=st.lists(st.sampled_from(["open", "closed"]), min_size=GROUPS, max_size=GROUPS),
    seats=seats,
    posts=posts,
)
def test_queryset_and_single_object_check_agree(sector, staff, visibilities, seats, posts):
    with transaction.atomic():
        users = [
            User.objects.create(email=f"q{i}@example.com", is_staff=is_staff)
            for i, is_staff in enumerate(staff)
        ]
        groups = [
            Group.objects.create(name=f"G{i}", slug=f"qg{i}", sector=sector, visibility=v)
            for i, v in enumerate(visibilities)
        ]
        for u, g in seats:
            Membership.objects.create(user=users[u], group=groups[g])
        alive = []  # (post pk, group index) of the posts left undeleted
        for g, u, is_answer, deleted in posts:
            question = Post.objects.create(
                group=groups[g], author=users[u], kind="question", title="Domanda?", body="…"
            )
            post = question
            if is_answer:
                post = Post.objects.create(
                    group=groups[g], author=users[u], kind="answer", question=question, body="…"
                )
                alive.append((question.pk, g))
            if deleted:
                Post.objects.filter(pk=post.pk).update(deleted_at=timezone.now())
            else:
                alive.append((post.pk, g))

        for user in [*users, AnonymousUser()]:
            # The expected answer, from the drawn data alone: undeleted posts in open groups,
            # in groups the user has a seat in, or anywhere for staff.
            staff_user = getattr(user, "is_staff", False)
            readable = {
                g
                for g, visibility in enumerate(visibilities)
                if staff_user
                or visibility == "open"
                or any(users[u].pk == user.pk and gg == g for u, gg in seats)
            }
            expected = {pk for pk, g in alive if g in readable}
            by_queryset = set(Post.objects.visible_to(user).values_list("pk", flat=True))
            one_by_one = {
                p.pk for p in Post.objects.select_related("group") if p.is_visible_to(user)
            }
            assert by_queryset == expected
            assert one_by_one == expected
        transaction.set_rollback(True)

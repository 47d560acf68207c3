"""Access to a group from a request: one helper per question, each returning the viewer's
Seat (read once) or raising. 404 when the user may not know the inside exists,
PermissionDenied when they may know but may not act.

A member's seat (the group, its sector and their membership) and a post of the group (with
its author and question) are each one query compiled once (config.compiled): they run before
every thread a member reads for themselves and every answer, comment and vote, and building
them cost more than running them."""

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.db.models import FilteredRelation, Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from config.compiled import CompiledQuery, model_columns, model_from_row
from groups.models import Event, Group, Membership, Post, Seat
from groups.models.reports import URL_KINDS, group_of, load_target
from profiles.models import Sector, User


def _seat_row(slug: str, user_id: int):
    seat = FilteredRelation("memberships", condition=Q(memberships__user_id=user_id))
    return (
        Group.objects.filter(slug=slug)
        .annotate(seat=seat)
        .values(
            *model_columns(Group),
            *model_columns(Sector, "sector__"),
            *model_columns(Membership, "seat__"),
        )
    )


SEAT_ROW = CompiledQuery(_seat_row, "slug", "user", text=("slug",))


def _post_row(post_id: int, group_id: int):
    return Post.objects.filter(pk=post_id, group_id=group_id).values(
        *model_columns(Post), *model_columns(User, "author__"), *model_columns(Post, "question__")
    )


POST_ROW = CompiledQuery(_post_row, "post", "group")


def get_seat(request: HttpRequest, slug: str) -> Seat:
    """The group and the user's seat in it, whatever they may see."""
    user = request.user
    if not user.is_authenticated:
        return get_object_or_404(Group.objects.select_related("sector"), slug=slug).seat_for(user)
    row = SEAT_ROW.fetchone(slug, user.pk)
    if row is None:
        raise Http404
    group = model_from_row(Group, row)
    group.sector = model_from_row(Sector, row, "sector__")
    return Seat(group, user, model_from_row(Membership, row, "seat__"))


def get_group_for_reader(request: HttpRequest, slug: str) -> Seat:
    """The seat, or 404 if the group's inside is hidden from the user."""
    seat = get_seat(request, slug)
    if not seat.can_read:
        raise Http404
    return seat


def get_group_for_moderator(request: HttpRequest, slug: str) -> Seat:
    seat = get_group_for_reader(request, slug)
    if not seat.can_moderate:
        raise PermissionDenied
    return seat


def get_group_for_participant(request: HttpRequest, slug: str) -> Seat:
    """Asking, answering, commenting, voting, reporting: readers who hold a seat."""
    seat = get_group_for_reader(request, slug)
    if not seat.can_participate:
        raise PermissionDenied
    return seat


def get_post_for_reader(request: HttpRequest, slug: str, pk: int) -> tuple[Seat, Post]:
    """A question or answer of a group the user may read, or 404."""
    seat = get_group_for_reader(request, slug)
    row = POST_ROW.fetchone(pk, seat.group.pk)
    if row is None:
        raise Http404
    post = model_from_row(Post, row)
    post.author = model_from_row(User, row, "author__")
    post.question = model_from_row(Post, row, "question__")
    post.group = seat.group
    if post.question is not None:
        post.question.group = seat.group
    return seat, post


def get_post_for_participant(request: HttpRequest, slug: str, pk: int) -> tuple[Seat, Post]:
    seat, post = get_post_for_reader(request, slug, pk)
    if not seat.can_participate:
        raise PermissionDenied
    return seat, post


def get_event_for_reader(request: HttpRequest, slug: str, pk: int) -> tuple[Seat, Event]:
    """An event of a group the user may read, or 404 (events follow the group's visibility)."""
    seat = get_group_for_reader(request, slug)
    event = get_object_or_404(seat.group.events.select_related("organiser"), pk=pk)
    event.group = seat.group
    return seat, event


def require_verified(request: HttpRequest) -> None:
    if not EmailAddress.objects.filter(user=request.user, verified=True).exists():
        raise PermissionDenied


def get_reported_for_reviewer(request: HttpRequest, word: str, pk: int):
    """(seat, target_type, item) for a reported thing the user reviews: a post, comment or
    event of a group they moderate (seat), or for staff a member reported for their profile or
    their private messages (seat None, item the member); like the group pages, 404 where the
    inside is hidden, 403 where it is readable."""
    target_type = URL_KINDS.get(word)
    item = load_target(target_type, pk) if target_type else None
    if item is None:
        raise Http404
    group = group_of(item)
    if group is None:
        if not request.user.is_staff:
            raise Http404
        return None, target_type, item
    seat = group.seat_for(request.user)
    if not seat.can_read:
        raise Http404
    if not seat.can_moderate:
        raise PermissionDenied
    return seat, target_type, item

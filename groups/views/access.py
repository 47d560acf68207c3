"""Access to a group from a request: one helper per question, each returning the viewer's
Seat (read once) or raising. 404 when the user may not know the inside exists,
PermissionDenied when they may know but may not act."""

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from groups.models import Event, Group, Post, Seat
from groups.models.reports import URL_KINDS, group_of, load_target


def get_seat(request: HttpRequest, slug: str) -> Seat:
    """The group and the user's seat in it, whatever they may see."""
    group = get_object_or_404(Group.objects.select_related("sector"), slug=slug)
    return group.seat_for(request.user)


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
    post = get_object_or_404(seat.group.posts.select_related("author", "question"), pk=pk)
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

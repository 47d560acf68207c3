"""My network and the actions on another member: requests, connect, remove, block, dismiss."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from config.page_cache import kept_for_member
from connections import network, suggestions
from connections.forms import RECIPIENT_ACTIONS, REQUEST_ACTIONS, ConnectionRequestForm
from connections.models import (
    REQUEST_MESSAGE_MAX,
    Block,
    Connection,
    ConnectionActionError,
    ConnectionRequest,
)
from groups.fragments import prefetch_keyed
from groups.models import Event, Group, Rsvp
from profiles.models import User
from profiles.ratelimits import RateLimited, rate_limited
from profiles.templatetags.when import ago

NETWORK_TEMPLATE = "connections/network.html"
MEMBER_TEMPLATE = "connections/member.html"
CONNECTION_PAGE_SIZE = 30
REQUESTS_SHOWN = 50
NETWORK_PARTS = ("connections", "suggestions", "incoming", "outgoing", "blocked")


# Access: one place per object type -----------------------------------------------------


def get_member(request: HttpRequest, user_id: int) -> User:
    """Another active member the user may act on, or 404. Blocks are left to the models,
    which refuse with one message either way and so never say who blocked whom."""
    return get_object_or_404(
        User.objects.filter(is_active=True).select_related("profile"), pk=user_id
    )


def get_request_for_party(request: HttpRequest, pk: int) -> ConnectionRequest:
    """A request the user sent or received, or 404: other people's requests don't exist."""
    user = request.user
    requests = ConnectionRequest.objects.select_related("sender__profile", "recipient__profile")
    sent = requests.filter(sender=user, pk=pk)
    return get_object_or_404(sent | requests.filter(recipient=user, pk=pk))


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# My network ----------------------------------------------------------------------------


@login_required
@require_GET
# Connections, requests, people, blocks: only the member's circle (a block renews it too).
@kept_for_member(standing="circle", badges=False)
def my_network(request: HttpRequest) -> HttpResponse:
    user = request.user
    query = " ".join(request.GET.get("q", "").split())[:100]
    connections = network.connections_of(user.pk)
    if query:
        connections = connections.filter(display_name__icontains=query)
    # Lazy: a fragment that doesn't show a list runs no query for it. Each card is cached,
    # read back with one round trip per list (the cards' functions below).
    context = {
        "page": functools.cache(
            lambda: _connection_page(
                request,
                Paginator(connections, CONNECTION_PAGE_SIZE).get_page(request.GET.get("pagina")),
            )
        ),
        "query": query,
        "incoming": functools.cache(
            lambda: _request_cards(
                request,
                ConnectionRequest.objects.incoming(user).select_related("sender__profile__sector")[
                    :REQUESTS_SHOWN
                ],
            )
        ),
        "outgoing": functools.cache(
            lambda: _request_cards(
                request,
                ConnectionRequest.objects.outgoing(user).select_related(
                    "recipient__profile__sector"
                )[:REQUESTS_SHOWN],
            )
        ),
        "suggestions": functools.cache(
            lambda: _suggestion_cards(
                request,
                network.explained(user, network.suggestions_for(user)[: network.SUGGESTIONS_SHOWN]),
            )
        ),
        "blocked": Block.objects.filter(blocker=user).select_related("blocked__profile"),
        "message_max": REQUEST_MESSAGE_MAX,
    }
    template = NETWORK_TEMPLATE
    if request.htmx and request.GET.get("part") in NETWORK_PARTS:
        template += f"#{request.GET['part']}"
    return render(request, template, context)


# The cards of My network, cached (groups.fragments.prefetch_keyed; the template's
# {% cachedrow %}): each key holds what its card shows, so an edit of the member a card shows
# makes a new one. A card answered by htmx (request_action) carries no key and is rendered.


def _connection_page(request: HttpRequest, page):
    page.object_list = list(page.object_list)
    prefetch_keyed(
        page.object_list,
        "network-connection",
        lambda person: (person.profile.card_signature, request.path),
    )
    return page


def _request_cards(request: HttpRequest, requests) -> list[ConnectionRequest]:
    def signature(connection_request: ConnectionRequest) -> tuple:
        received = connection_request.recipient_id == request.user.pk
        other = connection_request.sender if received else connection_request.recipient
        return (
            connection_request.pk,
            received,
            connection_request.status,
            connection_request.message,
            # "Sent 3 minutes ago", on a request sent: its text, not the minute, keys it.
            "" if received else ago(connection_request.created_at),
            other.profile.card_signature,
        )

    requests = list(requests)
    prefetch_keyed(requests, "network-request", signature)
    return requests


def _suggestion_cards(request: HttpRequest, suggestions) -> list:
    prefetch_keyed(
        suggestions,
        "network-suggestion",
        lambda suggestion: (
            suggestion.candidate.profile.card_signature,
            suggestion.explanation,
            request.path,
        ),
    )
    return suggestions


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept, decline or ignore a request received; withdraw one sent."""
    connection_request = get_request_for_party(request, pk)
    action = request.POST.get("action", "")
    if action not in REQUEST_ACTIONS:
        return HttpResponseBadRequest(_("Unknown action."))
    is_recipient = connection_request.recipient_id == request.user.pk
    if (action in RECIPIENT_ACTIONS) != is_recipient:
        raise Http404
    done, text = False, _("This request was already answered.")
    if connection_request.is_open:
        match action:
            case "accept":
                done = connection_request.accept() is not None
                text = _("You are now connected with %(name)s.")
            case "decline":
                done = connection_request.decline()
                text = _("Request from %(name)s declined.")
            case "ignore":
                done = connection_request.ignore()
                text = _("Request from %(name)s ignored: they are not told.")
            case "withdraw":
                done = connection_request.withdraw()
                text = _("Request to %(name)s withdrawn.")
        other = connection_request.recipient if action == "withdraw" else connection_request.sender
        text %= {"name": other.name}
    connection_request.refresh_from_db(fields=["status"])
    if request.htmx:
        context = {"connection_request": connection_request, "result": text, "done": done}
        return render(request, f"{NETWORK_TEMPLATE}#request-card", context)
    (messages.success if done else messages.info)(request, text)
    return redirect(safe_next(request, reverse("connections:network")))


# One member: connect, remove, block ------------------------------------------------------


def suggested_message(sender: User, recipient: User, event_id: str = "") -> str:
    """A first line to start from: the event both were marked present at ("people you
    met", ?evento=<id>), else a group both belong to (so both can read it: a closed group is
    never named to someone outside it)."""
    first_name = recipient.name.split()[0] if recipient.name.split() else recipient.name
    met_at = None
    if event_id.isdigit() and len(event_id) < 12:
        both_there = Rsvp.objects.filter(event=OuterRef("pk"), attended_at__isnull=False)
        met_at = (
            Event.objects.filter(pk=int(event_id))
            .filter(
                Exists(both_there.filter(user=sender)), Exists(both_there.filter(user=recipient))
            )
            .values_list("title", flat=True)
            .first()
        )
    if met_at:
        return _("Hi %(name)s, we met at “%(event)s”. I would be glad to stay in touch.") % {
            "name": first_name,
            "event": met_at,
        }
    shared = (
        Group.objects.filter(memberships__user=sender)
        .filter(memberships__user=recipient)
        .order_by("member_count", "name")
        .values_list("name", flat=True)
        .first()
    )
    if shared:
        return _(
            "Hi %(name)s, we met in the group “%(group)s”. I would be glad to stay in touch."
        ) % {"name": first_name, "group": shared}
    return _("Hi %(name)s, I would be glad to add you to my network on Gilda.") % {
        "name": first_name
    }


def member_context(request: HttpRequest, member: User, **extra) -> dict:
    rel = network.relationship(request.user, member)
    return {
        "member": member,
        "rel": rel,
        "message_max": REQUEST_MESSAGE_MAX,
        "next": safe_next(request, member.get_absolute_url()),
        **extra,
    }


def render_panel(request: HttpRequest, member: User, **extra) -> HttpResponse:
    return render(request, f"{MEMBER_TEMPLATE}#panel", member_context(request, member, **extra))


@login_required
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_member(request, user_id)
    if request.method == "GET":
        message = suggested_message(request.user, member, request.GET.get("evento", ""))
        form = ConnectionRequestForm(initial={"message": message})
        context = member_context(request, member, form=form)
        if context["rel"].state == "unavailable":
            raise Http404
        if request.htmx:
            return render(request, f"{MEMBER_TEMPLATE}#panel", context)
        mutual, mutual_total = network.mutual_shown(request.user, member.profile, context["rel"], 3)
        context.update(mutual=mutual, mutual_total=mutual_total)
        return render(request, MEMBER_TEMPLATE, context)

    form = ConnectionRequestForm(request.POST)
    result, limited = None, None
    if form.is_valid():
        try:
            result = ConnectionRequest.send(request.user, member, form.cleaned_data["message"])
        except ConnectionActionError as error:
            form.add_error(None, str(error))
        except RateLimited as error:
            form.add_error(None, str(error))
            limited = error
    if result is None:
        if request.htmx:
            response = render_panel(request, member, form=form)
        else:
            context = member_context(request, member, form=form)
            response = render(request, MEMBER_TEMPLATE, context)
        return rate_limited(response, limited, request)
    if isinstance(result, Connection):
        text = _("You are now connected with %(name)s.") % {"name": member.name}
    else:
        text = _("Request sent to %(name)s.") % {"name": member.name}
    if request.htmx:
        return render_panel(request, member, result=text)
    messages.success(request, text)
    return redirect(safe_next(request, member.get_absolute_url()))


@login_required
@require_POST
def remove(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_member(request, user_id)
    removed = Connection.remove(request.user, member)
    text = (
        _("%(name)s is no longer among your connections.")
        if removed
        else _("You were not connected with %(name)s.")
    ) % {"name": member.name}
    if request.htmx:
        return render_panel(request, member, result=text)
    messages.success(request, text)
    return redirect(safe_next(request, member.get_absolute_url()))


@login_required
@require_POST
def block(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_member(request, user_id)
    target = reverse("connections:network") + "#blocked"
    try:
        Block.block(request.user, member)
    except ConnectionActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("You blocked %(name)s: you no longer see each other. Unblock them here.")
            % {"name": member.name},
        )
    # The member's profile is now hidden from the blocker too: go to the list of blocks.
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


@login_required
@require_POST
def unblock(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_member(request, user_id)
    if Block.unblock(request.user, member):
        messages.success(request, _("%(name)s is unblocked.") % {"name": member.name})
    if request.htmx:
        context = {
            "blocked": Block.objects.filter(blocker=request.user).select_related("blocked__profile")
        }
        return render(request, f"{NETWORK_TEMPLATE}#blocked", context)
    return redirect(reverse("connections:network") + "#blocked")


@login_required
@require_POST
def dismiss(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_member(request, user_id)
    if member.pk != request.user.pk:
        suggestions.dismiss(request.user, member.pk)
    if request.htmx:
        # The card is swapped with nothing.
        return HttpResponse("")
    messages.success(request, _("%(name)s will not be suggested again.") % {"name": member.name})
    return redirect(reverse("connections:network") + "#suggestions")

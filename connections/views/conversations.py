"""Conversations: the inbox, a conversation, writing to a member, message actions, the badge.

Every page works with plain POSTs and redirects; htmx swaps fragments of the same templates.
Live updates: the push channel (connections/live.py) only names events; the page then fetches
the fragment here, so every read goes through the same access helper."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.compiled import CompiledQuery
from config.page_cache import forget_everyone, keep_for_member, kept_for_member
from connections.conversations import (
    MESSAGE_MAX,
    ConversationError,
    Message,
    MessagingSettings,
    Participant,
    may_write,
    report_conversation,
    report_message,
    unread_count_subquery,
)
from connections.models import Conversation
from groups.fragments import prefetch_keyed
from groups.models import GroupActionError
from groups.views.reports import report_form_response
from profiles.forms import ReportForm
from profiles.models import User, block_between_exists

INBOX_TEMPLATE = "connections/inbox.html"
CONVERSATION_TEMPLATE = "connections/conversation.html"
START_TEMPLATE = "connections/start.html"
INBOX_PAGE_SIZE = 30
REQUESTS_SHOWN = 20
MESSAGES_SHOWN = 50
SEARCH_RESULTS = 30
SIDE_ACTIONS = {
    "archive": {"archived": True},
    "unarchive": {"archived": False},
    "mute": {"muted": True},
    "unmute": {"muted": False},
    "unread": {"marked_unread": True},
}


# Access: one helper per object type --------------------------------------------------------


def get_side_for_member(request: HttpRequest, pk: int) -> Participant:
    """The user's side of conversation pk, with what the page needs, or 404: nobody but the
    two members reads a conversation (staff included), and a block hides it both ways."""
    user = request.user
    other_side = Participant.objects.filter(
        conversation_id=OuterRef("conversation_id"), user_id=OuterRef("other_id")
    )
    side = (
        Participant.objects.filter(conversation_id=pk)
        .of(user)
        .select_related("conversation", "other__profile")
        .annotate(
            other_read=Subquery(other_side.values("read_up_to")[:1]),
            other_delivered=Subquery(other_side.values("delivered_up_to")[:1]),
            receipts_off=Exists(
                MessagingSettings.objects.filter(
                    Q(user_id=user.pk) | Q(user_id=OuterRef("other_id")), read_receipts=False
                )
            ),
        )
        .first()
    )
    # .of() leaves in a request the user ignored only if they started it: the recipient may
    # still open it by its address (to accept it after all).
    if side is None:
        side = (
            Participant.objects.filter(
                conversation_id=pk, user=user, conversation__state=Conversation.State.IGNORED
            )
            .exclude(conversation__started_by=user)
            .select_related("conversation", "other__profile")
            .annotate(receipts_off=Exists(MessagingSettings.objects.none()))
            .first()
        )
        if side is None or side.other_id is None:
            raise Http404
        side.other_read = side.other_delivered = 0
    return side


def _side_row(conversation_id: int, user_id: int):
    """What a kept conversation page needs to know of the member's side, as one small query:
    get_side_for_member's access rule (their side, no block either way) and their reading."""
    return (
        Participant.objects.filter(conversation_id=conversation_id, user_id=user_id)
        .exclude(block_between_exists(user_id, "other_id"))
        .values(
            "last_message_id",
            "read_up_to",
            "marked_unread",
            "other_id",
            version=F("conversation__version"),
            state=F("conversation__state"),
            started_by=F("conversation__started_by_id"),
        )[:1]
    )


SIDE_ROW = CompiledQuery(_side_row, "conversation", "user")


def kept_version(request: HttpRequest, pk: int) -> int | None:
    """The conversation's version, when the member may read it as an active conversation (or
    a request they sent) and has nothing left to mark read: then a page kept for them under
    it may be served without building the side (config.compiled). None leaves it to the
    view: no access, something to mark read, a request to them, a departed member."""
    row = SIDE_ROW.fetchone(pk, request.user.pk)
    if row is None or row["other_id"] is None:
        return None
    if row["state"] != Conversation.State.ACTIVE and row["started_by"] != request.user.pk:
        return None
    if row["last_message_id"] and (
        row["read_up_to"] < row["last_message_id"] or row["marked_unread"]
    ):
        return None
    return row["version"]


def get_message_for_sender(request: HttpRequest, side: Participant, message_id: int) -> Message:
    message = get_object_or_404(
        Message.objects.filter(conversation_id=side.conversation_id), pk=message_id
    )
    if message.sender_id != request.user.pk:
        raise PermissionDenied
    return message


def require_writer(request: HttpRequest) -> None:
    if not may_write(request.user):
        raise PermissionDenied


# Inbox ---------------------------------------------------------------------------------------


def prefetch_talk_rows(sides, viewer_pk: int) -> None:
    """The inbox rows' fragments (inbox.html's rows), as groups.fragments does for thread
    rows: each key holds what the row shows, so no row is stale; and the row is the viewer's
    own side of the conversation (its pk is in the key), loaded for them alone."""
    prefetch_keyed(
        sides,
        "talk-row",
        lambda side: (
            side.pk,
            side.conversation_id,
            side.conversation.state,
            side.other.name if side.other else None,
            side.unread,
            side.marked_unread,
            side.is_unread,
            side.muted,
            side.last_sender == viewer_pk,
            side.last_body,
            side.last_activity_at,
            int(time.time() // 60),  # "3 minutes ago"
        ),
    )


def prefetch_message_fragments(messages_, conversation_pk: int, editing) -> None:
    """The conversation's messages, each cached as thread posts are: keyed by what it shows
    and how this participant sees it (theirs or not, its status, still editable); the
    message being edited is rendered live. Only participants reach this
    (get_side_for_member), and `mine` is in the key."""
    prefetch_keyed(
        [message for message in messages_ if message.pk != editing],
        "talk-message",
        lambda message: (
            conversation_pk,
            message.pk,
            message.body,
            message.is_deleted,
            message.edited_at,
            message.created_at,
            message.mine,
            getattr(message, "status", None),
            getattr(message, "editable", False),
            int(time.time() // 60),
        ),
    )


def inbox_rows(user, *, archived: bool):
    last = Message.objects.filter(pk=OuterRef("last_message_id"))
    return (
        Participant.objects.of(user)
        .filter(archived=archived)
        .exclude(
            Q(conversation__state=Conversation.State.REQUEST) & ~Q(conversation__started_by=user)
        )
        .select_related("conversation", "other__profile")
        .annotate(
            unread=unread_count_subquery(),
            last_body=Subquery(last.values("body")[:1]),
            last_sender=Subquery(last.values("sender_id")[:1]),
        )
        .order_by("-last_activity_at", "-pk")
    )


def search_messages(user, query: str):
    """The member's own conversations' messages matching query: full-text on PostgreSQL
    (gilda_italian, as the Q&A search), a plain icontains elsewhere."""
    messages_ = (
        Message.objects.filter(
            conversation__participants__in=Participant.objects.of(user),
            deleted_at__isnull=True,
        )
        .exclude(body="")
        .select_related("conversation")
    )
    if connection.vendor == "postgresql":
        search = SearchQuery(query, config="gilda_italian", search_type="websearch")
        vector = SearchVector("body", config="gilda_italian")
        messages_ = (
            messages_.annotate(rank=SearchRank(vector, search))
            .filter(rank__gt=0)
            .order_by("-rank", "-pk")
        )
    else:
        messages_ = messages_.filter(body__icontains=query).order_by("-pk")
    return list(messages_[:SEARCH_RESULTS])


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    # Reaching the inbox delivers, kept page or not; a delivery announces the change, which
    # starts both members' generations, so the page is read again.
    Participant.deliver_to(request.user)
    return _inbox_page(request)


@kept_for_member
def _inbox_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    archived = request.GET.get("archivio") == "1"
    # PostgreSQL text refuses NUL bytes: a query carrying one must not become a 500.
    query = " ".join(request.GET.get("q", "").replace("\x00", "").split())[:100]
    page = Paginator(inbox_rows(user, archived=archived), INBOX_PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    prefetch_talk_rows(page.object_list, user.pk)
    context = {
        "archived": archived,
        "query": query,
        "results": search_messages(user, query) if query else None,
        "page": page,
        "requests": list(
            Participant.objects.of(user)
            .filter(conversation__state=Conversation.State.REQUEST)
            .exclude(conversation__started_by=user)
            .select_related("conversation", "other__profile")
            .annotate(
                last_body=Subquery(
                    Message.objects.filter(pk=OuterRef("last_message_id")).values("body")[:1]
                )
            )
            .order_by("-last_activity_at")[:REQUESTS_SHOWN]
        ),
        "receipts": MessagingSettings.receipts_on(user.pk),
    }
    template = INBOX_TEMPLATE
    if request.htmx and request.GET.get("part") == "list":
        template += "#list"
    return render(request, template, context)


@login_required
@require_GET
def badge(request: HttpRequest) -> HttpResponse:
    """The navigation badge's fragment, fetched on a push event or by polling. Reaching the
    badge counts as delivery. Answered 304 to a browser revalidating an unchanged count."""
    Participant.deliver_to(request.user)
    count = Participant.objects.badge_for(request.user).count()
    etag = f'"talk-badge-{count}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = render(request, "connections/inbox.html#badge", {"talk_unread": count})
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def messaging_settings(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("read_receipts") == "on"
    MessagingSettings.objects.update_or_create(user=request.user, defaults={"read_receipts": on})
    # Receipts off hides the ticks both ways: every partner's kept inbox changes.
    forget_everyone()
    messages.success(
        request,
        _("Read receipts are on: you see when messages are read, and others see it too.")
        if on
        else _("Read receipts are off: nobody sees when you read, and you don't see theirs."),
    )
    return redirect("connections:inbox")


def stream_unavailable(request: HttpRequest) -> HttpResponse:
    """The push channel is served by the ASGI process (connections/live.py); reaching the
    WSGI site means no proxy routes it here. 204 tells EventSource to give up: pages poll."""
    return HttpResponse(status=204)


# One conversation ------------------------------------------------------------------------------


def conversation_context(request: HttpRequest, side: Participant, **extra) -> dict:
    conversation = side.conversation
    before = request.GET.get("prima", "")
    rows = Message.objects.filter(conversation=conversation).order_by("-pk")
    if before.isdigit() and len(before) < 19:
        rows = rows.filter(pk__lt=int(before))
    shown = list(rows[: MESSAGES_SHOWN + 1])
    has_earlier = len(shown) > MESSAGES_SHOWN
    shown = shown[:MESSAGES_SHOWN][::-1]
    receipts = not side.receipts_off
    for message in shown:
        message.mine = message.sender_id == request.user.pk
        if not message.mine:
            continue
        if receipts and message.pk <= (side.other_read or 0):
            message.status = "read"
        elif message.pk <= (side.other_delivered or 0):
            message.status = "delivered"
        else:
            message.status = "sent"
        message.editable = message.can_edit(request.user)
    prefetch_message_fragments(shown, conversation.pk, extra.get("editing"))
    waiting = (
        conversation.state != Conversation.State.ACTIVE
        and conversation.started_by_id == request.user.pk
    )
    return {
        "side": side,
        "conversation": conversation,
        "other": side.other,
        "messages_shown": shown,
        "earlier": shown[0].pk if has_earlier and shown else None,
        "incoming_request": conversation.is_request_to(request.user.pk),
        "waiting": waiting,
        "can_write": may_write(request.user) and not waiting and side.other_id is not None,
        "message_max": MESSAGE_MAX,
        "poll_seconds": settings.TALK_POLL_SECONDS,
        **extra,
    }


def render_conversation(request: HttpRequest, side: Participant, error="") -> HttpResponse:
    context = conversation_context(request, side, error=error)
    if error:
        context["draft"] = request.POST.get("body", "")
    template = CONVERSATION_TEMPLATE
    if request.htmx and request.GET.get("part") == "live":
        template += "#live"
    return render(request, template, context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    # A plain GET with nothing to mark read: the page kept for this member under the
    # conversation's version, which every change to it moves on (one small query).
    if settings.MEMBER_PAGE_SECONDS and request.method == "GET" and not request.htmx:
        version = kept_version(request, pk)
        if version is not None:
            return keep_for_member(
                request,
                lambda: render_conversation(request, get_side_for_member(request, pk)),
                version,
            )
    side = get_side_for_member(request, pk)
    error = ""
    if request.method == "POST":
        require_writer(request)
        try:
            side.conversation.post(request.user, request.POST.get("body", ""))
        except ConversationError as refused:
            error = str(refused)
        if not error and not request.htmx:
            return redirect(side.conversation.get_absolute_url() + "#composer")
        side = get_side_for_member(request, pk)
        if request.htmx:
            context = conversation_context(request, side, error=error)
            if error:
                context["draft"] = request.POST.get("body", "")
            return render(request, f"{CONVERSATION_TEMPLATE}#thread", context)
    elif (
        request.htmx
        and request.GET.get("part") == "live"
        and request.GET.get("v") == str(side.conversation.version)
    ):
        # The polling fallback's conditional GET: nothing changed, nothing sent.
        return HttpResponse(status=204)
    readable = side.last_message_id and not side.conversation.is_request_to(request.user.pk)
    if readable and side.mark_read(side.last_message_id):
        # Reading moved the version on: keep the page under the new one.
        side.conversation.refresh_from_db(fields=["version"])
    # Access is checked and reading marked above.
    return keep_for_member(
        request, lambda: render_conversation(request, side, error), side.conversation.version
    )


@login_required
@require_POST
def conversation_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Archive, mute, mark unread (and back); accept or ignore a message request."""
    side = get_side_for_member(request, pk)
    action = request.POST.get("action", "")
    if action in SIDE_ACTIONS:
        side.set_flag(**SIDE_ACTIONS[action])
        text = {
            "archive": _("Conversation archived."),
            "unarchive": _("Conversation back in the inbox."),
            "mute": _("Conversation muted: no badge, no email."),
            "unmute": _("Conversation no longer muted."),
            "unread": _("Conversation marked as unread."),
        }[action]
    elif action in ("accept", "ignore"):
        if not side.conversation.is_request_to(request.user.pk):
            raise Http404
        try:
            done = side.conversation.answer_request(request.user, accept=action == "accept")
        except ConversationError as refused:
            raise PermissionDenied(str(refused)) from refused
        text = (
            _("Request accepted: you can now write to each other.")
            if action == "accept"
            else _("Request ignored: the sender is not told.")
        )
        if not done:
            text = _("This request was already answered.")
    else:
        return HttpResponseBadRequest(_("Unknown action."))
    messages.success(request, text)
    target = reverse("connections:inbox")
    if action in ("accept", "unmute", "mute", "unarchive"):
        target = side.conversation.get_absolute_url()
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def edit_message(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    side = get_side_for_member(request, pk)
    message = get_message_for_sender(request, side, message_id)
    require_writer(request)
    if not message.can_edit(request.user):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            if message.edit(request.user, request.POST.get("body", "")):
                return redirect(side.conversation.get_absolute_url() + f"#message-{message.pk}")
            error = _("This message can no longer be edited.")
        except ConversationError as refused:
            error = str(refused)
    context = conversation_context(
        request, side, editing=message.pk, edit_error=error, edit_body=request.POST.get("body")
    )
    return render(request, CONVERSATION_TEMPLATE, context, status=400 if error else 200)


@login_required
@require_POST
def delete_message(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    side = get_side_for_member(request, pk)
    message = get_message_for_sender(request, side, message_id)
    message.delete_for_both(request.user)
    messages.success(request, _("Message deleted for both of you."))
    return redirect(side.conversation.get_absolute_url())


# Reports to staff -------------------------------------------------------------------------------


def _report(request: HttpRequest, item, file, back: str) -> HttpResponse:
    form = ReportForm(request.POST or None)

    def filed(reason, note):
        try:
            file(request.user, item, reason=reason, note=note)
        except ConversationError as refused:
            raise GroupActionError(str(refused)) from refused

    context = {"file": filed, "back": back, "to_staff": True}
    return report_form_response(request, form, context, item, done_url=back)


@login_required
@require_http_methods(["GET", "POST"])
def report_one_message(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    side = get_side_for_member(request, pk)
    message = get_object_or_404(
        Message.objects.filter(conversation_id=side.conversation_id).select_related("sender"),
        pk=message_id,
    )
    if message.sender_id is None or message.sender_id == request.user.pk:
        raise PermissionDenied
    back = side.conversation.get_absolute_url() + f"#message-{message.pk}"
    if message.is_deleted:
        messages.info(request, _("This message was deleted."))
        return redirect(back)
    return _report(request, message, report_message, back)


@login_required
@require_http_methods(["GET", "POST"])
def report_whole_conversation(request: HttpRequest, pk: int) -> HttpResponse:
    side = get_side_for_member(request, pk)
    if side.other_id is None:
        raise PermissionDenied
    item = side.conversation
    item.name = side.other.name  # what the form shows: who is reported
    return _report(request, item, report_conversation, item.get_absolute_url())


# Writing to a member ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_object_or_404(User.objects.filter(is_active=True), pk=user_id)
    if member.pk == request.user.pk:
        raise Http404
    existing = Conversation.objects.between(request.user.pk, member.pk).first()
    reach = Conversation.reach(request.user, member)
    if reach == "blocked":
        raise Http404
    if existing is not None and request.method == "GET":
        return redirect(existing.get_absolute_url())
    error = ""
    if request.method == "POST":
        require_writer(request)
        try:
            conversation_, _message = Conversation.start(
                request.user, member, request.POST.get("body", "")
            )
        except ConversationError as refused:
            error = str(refused)
        else:
            if conversation_.state != Conversation.State.ACTIVE:
                messages.success(
                    request,
                    _("Message request sent to %(name)s. You can write again once accepted.")
                    % {"name": member.name},
                )
            return redirect(conversation_.get_absolute_url())
    context = {
        "member": member,
        "reach": reach,
        "error": error,
        "draft": request.POST.get("body", ""),
        "message_max": MESSAGE_MAX,
        "can_write": may_write(request.user),
    }
    return render(request, START_TEMPLATE, context, status=400 if error else 200)

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from config.markdown import render_markdown
from groups.forms import (
    BulkApproveForm,
    CommentForm,
    DecisionForm,
    GroupForm,
    JoinRequestForm,
    MemberActionForm,
    PostBodyForm,
    QuestionForm,
    ReportForm,
    VoteForm,
)
from groups.models import (
    Comment,
    Group,
    GroupActionError,
    JoinRequest,
    Membership,
    Post,
    PostReport,
    Sector,
    ThreadWatch,
    Vote,
)

QUEUE_PAGE_SIZE = 50
MEMBER_PAGE_SIZE = 50
GROUP_PAGE_SIZE = 24
THREAD_PAGE_SIZE = 20
ANSWER_PAGE_SIZE = 30
THREAD_ORDERS = ["active", "newest", "top", "unanswered"]


# Access: one place per question ------------------------------------------------------------


def get_group_for_reader(request: HttpRequest, slug: str) -> tuple[Group, Membership | None]:
    """The group and the user's seat in it, or 404 if its inside is hidden from the user."""
    group = get_object_or_404(Group.objects.select_related("sector"), slug=slug)
    membership = group.membership_for(request.user)
    if not group.is_readable_by(request.user, membership):
        raise Http404
    return group, membership


def get_group_for_moderator(request: HttpRequest, slug: str) -> tuple[Group, Membership | None]:
    group, membership = get_group_for_reader(request, slug)
    if not (request.user.is_staff or (membership is not None and membership.is_moderator)):
        raise PermissionDenied
    return group, membership


def get_group_for_participant(request: HttpRequest, slug: str) -> tuple[Group, Membership]:
    """Asking, answering, commenting, voting: readers who hold a seat in the group."""
    group, membership = get_group_for_reader(request, slug)
    if membership is None:
        raise PermissionDenied
    return group, membership


def get_post_for_reader(
    request: HttpRequest, slug: str, pk: int
) -> tuple[Group, Membership | None, Post]:
    """A question or answer of a group the user may read, or 404."""
    group, membership = get_group_for_reader(request, slug)
    post = get_object_or_404(group.posts.select_related("author", "question"), pk=pk)
    post.group = group
    if post.question is not None:
        post.question.group = group
    return group, membership, post


def is_moderator(request: HttpRequest, membership: Membership | None) -> bool:
    return request.user.is_staff or (membership is not None and membership.is_moderator)


def require_verified(request: HttpRequest) -> None:
    if not EmailAddress.objects.filter(user=request.user, verified=True).exists():
        raise PermissionDenied


def requester_group_count():
    """How many groups the requester is already in: a hint for moderators, in the same query."""
    seats = (
        Membership.objects.filter(user=OuterRef("user"))
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(seats), 0)


MUTUAL_MEMBERS_SHOWN = 5


def mutual_member_connections(join_requests, group: Group) -> dict[int, list]:
    """Per join request, the requester's connections who are already members of the group,
    in one query for the page. Requesters who don't show their connections to all members
    (Profile.connections_visibility) are left out."""
    from connections.models import Connection
    from profiles.models import Profile

    everyone = Profile.ConnectionsVisibility.MEMBERS
    # A member without a profile row has the default: connections shown to all members.
    shown = {
        join_request.user_id: join_request.pk
        for join_request in join_requests
        if getattr(getattr(join_request.user, "profile", None), "connections_visibility", everyone)
        == everyone
    }
    if not shown:
        return {}
    members = Membership.objects.filter(group=group).values("user_id")
    rows = (
        Connection.objects.filter(
            Q(user_low_id__in=list(shown), user_high_id__in=members)
            | Q(user_high_id__in=list(shown), user_low_id__in=members)
        )
        .select_related("user_low", "user_high")
        .order_by("pk")
    )
    found: dict[int, list] = {}
    for row in rows:
        requester, member = (
            (row.user_low, row.user_high)
            if row.user_low_id in shown
            else (row.user_high, row.user_low)
        )
        found.setdefault(shown[requester.pk], []).append(member)
    return {
        pk: sorted(people, key=lambda person: person.name)[:MUTUAL_MEMBERS_SHOWN]
        for pk, people in found.items()
    }


def home_groups(user) -> dict:
    """The home page's groups: the member's own, then featured ones they are not in."""
    mine = []
    if user.is_authenticated:
        mine = list(
            Group.objects.of_member(user).select_related("sector").order_by("-member_count")[:6]
        )
    featured = (
        Group.objects.exclude(pk__in=[group.pk for group in mine])
        .select_related("sector")
        .order_by("-is_featured", "-member_count", "name")[:6]
    )
    return {"my_groups": mine, "featured_groups": featured}


# Browsing ----------------------------------------------------------------------------------


@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    sectors = list(Sector.objects.all())
    sector = next((s for s in sectors if s.slug == request.GET.get("settore")), None)
    query = request.GET.get("q", "").strip()[:100]
    groups = (
        Group.objects.search(query)
        .select_related("sector")
        .with_membership_of(request.user)
        .order_by("-is_featured", "-member_count", "name")
    )
    if sector is not None:
        groups = groups.filter(sector=sector)
    page = Paginator(groups, GROUP_PAGE_SIZE).get_page(request.GET.get("pagina"))
    template = "groups/list.html"
    if request.htmx:
        template += "#results"
    context = {"page": page, "sectors": sectors, "sector": sector, "query": query}
    return render(request, template, context)


@login_required
@require_GET
def my_groups(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("group__sector").order_by("group__name")
    pending = (
        JoinRequest.objects.pending()
        .filter(user=request.user)
        .select_related("group__sector")
        .order_by("-created_at")
    )
    return render(request, "groups/mine.html", {"memberships": memberships, "pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    require_verified(request)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items()}
        try:
            group = Group.create_with_owner(request.user, **fields)
        except IntegrityError:
            form.add_error("slug", _("Another group already uses this address."))
        else:
            messages.success(request, _("Your group is ready. You are its owner."))
            return redirect(group)
    return render(request, "groups/form.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group.objects.select_related("sector"), slug=slug)
    membership = group.membership_for(request.user)
    readable = group.is_readable_by(request.user, membership)
    if request.htmx and not readable:
        raise Http404
    user = request.user
    context = {
        "group": group,
        "membership": membership,
        "readable": readable,
        "can_moderate": user.is_staff or (membership is not None and membership.is_moderator),
    }
    if membership is None and user.is_authenticated:
        context["pending_request"] = group.pending_request_of(user)
        context["is_banned"] = group.is_banned(user)
        context["retry_from"] = group.rejoin_allowed_from(user) if group.is_closed else None
    if readable:
        context["recent_members"] = group.memberships.select_related("user").order_by(
            "-joined_at", "-pk"
        )[:8]
        threads = group.posts.alive().questions()
        accepted = Post.objects.filter(question=OuterRef("pk"), is_accepted=True)
        context["recent_threads"] = list(
            threads.select_related("author")
            .annotate(has_accepted=Exists(accepted))
            .order_by("-last_activity_at", "-pk")[:5]
        )
        for question in context["recent_threads"]:
            question.group = group
        context["unanswered_count"] = threads.unanswered().count()
        context["active_members"] = group.most_active_members()
    template = "groups/detail.html"
    if request.htmx:
        template += "#inside"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Group updated."))
        return redirect(group)
    context = {"form": form, "group": group}
    return render(request, "groups/form.html", context, status=400 if form.errors else 200)


# Joining and leaving -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def group_join(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group.objects.select_related("sector"), slug=slug)
    require_verified(request)
    if group.memberships.filter(user=request.user).exists():
        messages.info(request, _("You are already a member of this group."))
        return redirect(group)
    if group.is_open:
        if request.method == "POST":
            try:
                group.join(request.user)
            except GroupActionError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Welcome to %(group)s!") % {"group": group.name})
            return _back_to(request, group)
        return redirect(group)

    if group.pending_request_of(request.user):
        messages.info(request, _("Your request is waiting for the moderators."))
        return redirect(group)
    form = JoinRequestForm(request.POST or None, group=group)
    if request.method == "POST" and form.is_valid():
        try:
            group.request_to_join(
                request.user,
                answer=form.cleaned_data.get("answer", ""),
                note=form.cleaned_data.get("note", ""),
            )
        except GroupActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Request sent. The moderators will reply soon."))
            return _back_to(request, group)
    context = {
        "group": group,
        "form": form,
        "is_banned": group.is_banned(request.user),
        "retry_from": group.rejoin_allowed_from(request.user),
    }
    return render(request, "groups/join.html", context, status=400 if form.errors else 200)


def _back_to(request: HttpRequest, group: Group) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(group.get_absolute_url())
    return redirect(group)


@login_required
@require_POST
def request_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    join_request = group.pending_request_of(request.user)
    if join_request is not None and join_request.withdraw():
        messages.success(request, _("Request withdrawn."))
    return _back_to(request, group)


@login_required
@require_POST
def group_leave(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    try:
        left = group.leave(request.user)
    except GroupActionError as error:
        messages.error(request, str(error))
    else:
        if left:
            messages.success(request, _("You left %(group)s.") % {"group": group.name})
    return _back_to(request, group)


# Inside the group --------------------------------------------------------------------------


@require_GET
def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    group, membership = get_group_for_reader(request, slug)
    members = group.memberships.select_related("user").order_by("role", "joined_at", "pk")
    page = Paginator(members, MEMBER_PAGE_SIZE).get_page(request.GET.get("pagina"))
    context = {
        "group": group,
        "membership": membership,
        "page": page,
        "can_moderate": request.user.is_staff
        or (membership is not None and membership.is_moderator),
        "is_owner": request.user.is_staff or (membership is not None and membership.is_owner),
        "action_form": MemberActionForm(),
    }
    if context["can_moderate"]:
        context["bans"] = group.bans.select_related("user").order_by("-created_at")
    template = "groups/members.html"
    if request.htmx:
        template += "#member-list"
    return render(request, template, context)


@login_required
@require_POST
def member_action(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group, membership = get_group_for_moderator(request, slug)
    target = get_object_or_404(group.memberships.select_related("user"), user_id=user_id)
    form = MemberActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid action."))
        return redirect("groups:members", group.slug)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    owner_only = action in ("promote", "demote", "transfer")
    if owner_only and not (request.user.is_staff or (membership and membership.is_owner)):
        raise PermissionDenied
    try:
        if action == "remove":
            group.remove_member(target, by=request.user, reason=reason)
        elif action == "ban":
            group.ban(target.user, by=request.user, reason=reason)
        elif action == "promote":
            group.set_role(target, Membership.Role.MODERATOR, by=request.user)
        elif action == "demote":
            group.set_role(target, Membership.Role.MEMBER, by=request.user)
        else:
            group.transfer_ownership(target, by=request.user)
    except GroupActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Done."))
    return redirect("groups:members", group.slug)


@login_required
@require_POST
def ban_lift(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    ban = get_object_or_404(group.bans.select_related("user"), user_id=user_id)
    group.unban(ban.user, by=request.user)
    messages.success(request, _("Ban lifted."))
    return redirect("groups:members", group.slug)


@login_required
@require_GET
def moderation_log(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    entries = group.moderation_log.select_related("actor", "target")[:200]
    return render(request, "groups/log.html", {"group": group, "entries": entries})


# The moderator queue -----------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    pending = (
        group.join_requests.pending()
        .select_related("user__profile__sector")
        .annotate(requester_group_count=requester_group_count())
        .order_by("created_at", "pk")
    )
    page = Paginator(pending, QUEUE_PAGE_SIZE).get_page(request.GET.get("pagina"))
    mutual = mutual_member_connections(page.object_list, group)
    for join_request in page.object_list:
        join_request.mutual_members = mutual.get(join_request.pk, [])
    context = {"group": group, "page": page, "decision_form": DecisionForm()}
    template = "groups/queue.html"
    if request.htmx:
        template += "#queue"
    return render(request, template, context)


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    join_request = get_object_or_404(group.join_requests.select_related("user"), pk=pk)
    form = DecisionForm(request.POST)
    decided = False
    if form.is_valid():
        if form.cleaned_data["decision"] == "approve":
            decided = join_request.approve(by=request.user)
        else:
            decided = join_request.reject(by=request.user, reason=form.rejection_reason())
        if not decided:
            form.add_error(None, _("Another moderator already decided this request."))
    if request.htmx:
        group.refresh_from_db(fields=["pending_count", "member_count"])
        context = {"group": group, "join_request": join_request, "decision_form": form}
        return render(request, "groups/queue.html#request-card", context)
    if decided:
        messages.success(request, _("Decision saved."))
    else:
        for error in form.errors.get("__all__", []) or [_("Choose approve or decline.")]:
            messages.error(request, error)
    return redirect("groups:queue", group.slug)


@login_required
@require_POST
def bulk_approve(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    form = BulkApproveForm(request.POST, pending=group.join_requests.pending())
    if form.is_valid():
        approved = sum(jr.approve(by=request.user) for jr in form.cleaned_data["requests"])
        messages.success(request, _("Approved: %(count)d.") % {"count": approved})
    else:
        for error in form.errors.get("requests", []):
            messages.error(request, error)
    return redirect("groups:queue", group.slug)


# Q&A: threads, answers, votes --------------------------------------------------------------


@require_GET
def thread_list(request: HttpRequest, slug: str) -> HttpResponse:
    group, membership = get_group_for_reader(request, slug)
    query = request.GET.get("q", "").strip()[:100]
    order = request.GET.get("ordine", "")
    if order not in THREAD_ORDERS:
        order = "relevance" if query else "active"
    accepted = Post.objects.filter(question=OuterRef("pk"), is_accepted=True)
    threads = (
        group.posts.alive()
        .questions()
        .threads_matching(query)
        .select_related("author")
        .annotate(has_accepted=Exists(accepted))
    )
    if order == "relevance":
        threads = threads.order_by(F("rank").desc(nulls_last=True), "-last_activity_at", "-pk")
    else:
        threads = threads.sorted_by(order)
    page = Paginator(threads, THREAD_PAGE_SIZE).get_page(request.GET.get("pagina"))
    for thread in page.object_list:
        thread.group = group
    context = {
        "group": group,
        "membership": membership,
        "page": page,
        "order": order,
        "orders": THREAD_ORDERS,
        "query": query,
    }
    template = "groups/threads.html"
    if request.htmx:
        template += "#thread-list"
    return render(request, template, context)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Threads across every group the user may read."""
    query = request.GET.get("q", "").strip()[:100]
    threads = Post.objects.none()
    if query:
        threads = (
            Post.objects.visible_to(request.user)
            .questions()
            .threads_matching(query)
            .select_related("author", "group")
            .order_by(F("rank").desc(nulls_last=True), "-last_activity_at", "-pk")
        )
    page = Paginator(threads, THREAD_PAGE_SIZE).get_page(request.GET.get("pagina"))
    template = "groups/search.html"
    if request.htmx:
        template += "#search-results"
    return render(request, template, {"page": page, "query": query})


def _post_form_response(request, template, context, form, preview_fragment="preview"):
    """Render a post form page; a preview request from htmx gets only the preview."""
    if request.htmx and "preview" in request.POST:
        return render(request, f"{template}#{preview_fragment}", context)
    return render(request, template, context, status=400 if form.errors else 200)


def _preview(request: HttpRequest, form) -> str | None:
    if request.method == "POST" and "preview" in request.POST and form.is_valid():
        return render_markdown(form.cleaned_data["body"])
    return None


@login_required
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest, slug: str) -> HttpResponse:
    group, membership = get_group_for_participant(request, slug)
    form = QuestionForm(request.POST or None, group=group, user=request.user, membership=membership)
    preview = _preview(request, form)
    if request.method == "POST" and preview is None and form.is_valid():
        question = Post.ask(group, request.user, **form.cleaned_data)
        messages.success(request, _("Question published. You will be told about answers."))
        return redirect(question)
    context = {"group": group, "form": form, "preview": preview, "asking": True}
    return _post_form_response(request, "groups/post_form.html", context, form)


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, post = get_post_for_reader(request, slug, pk)
    if not post.can_edit(request.user, membership):
        raise PermissionDenied
    form_class = QuestionForm if post.is_question else PostBodyForm
    initial = {"title": post.title, "body": post.body}
    form = form_class(
        request.POST or None,
        initial=initial,
        group=group,
        user=request.user,
        membership=membership,
    )
    preview = _preview(request, form)
    if request.method == "POST" and preview is None and form.is_valid():
        if post.edit(by=request.user, **form.cleaned_data):
            messages.success(request, _("Changes saved. The previous version is in the history."))
        return redirect(post)
    context = {"group": group, "form": form, "preview": preview, "post": post}
    return _post_form_response(request, "groups/post_form.html", context, form)


def _thread_context(request, group, membership, question, *, answer_form=None, failed=None):
    """Everything the thread page shows, in a fixed number of queries whatever its size."""
    answers = question.answers.select_related("author").order_by(
        "-is_accepted", F("deleted_at").asc(nulls_first=True), "-score", "created_at", "pk"
    )
    page = Paginator(answers, ANSWER_PAGE_SIZE).get_page(request.GET.get("pagina"))
    posts = [question, *page.object_list]
    by_pk = {post.pk: post for post in posts}
    for post in posts:
        post.group = group
        post.editable = post.can_edit(request.user, membership)
        post.comment_list = []
        post.my_vote = 0
        post.comment_form = CommentForm(group=group, user=request.user, membership=membership)
    for comment in (
        Comment.objects.filter(post_id__in=by_pk, deleted_at__isnull=True)
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        by_pk[comment.post_id].comment_list.append(comment)
    watching = False
    if request.user.is_authenticated:
        votes = Vote.objects.filter(user=request.user, post_id__in=by_pk)
        for post_id, value in votes.values_list("post_id", "value"):
            by_pk[post_id].my_vote = value
        watching = ThreadWatch.objects.filter(question=question, user=request.user).exists()
    if failed is not None:
        post_pk, form = failed
        by_pk[post_pk].comment_form = form
    can_moderate = is_moderator(request, membership)
    return {
        "group": group,
        "membership": membership,
        "question": question,
        "page": page,
        "watching": watching,
        "can_moderate": can_moderate,
        "is_asker": request.user.is_authenticated and question.author_id == request.user.pk,
        "answer_form": answer_form
        or PostBodyForm(group=group, user=request.user, membership=membership),
        "report_form": ReportForm(),
        "open_reports": (
            PostReport.objects.filter(post__group=group, resolved_at__isnull=True).count()
            if can_moderate
            else 0
        ),
    }


@require_GET
def thread(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, question = get_post_for_reader(request, slug, pk)
    if not question.is_question:
        return redirect(question)
    context = _thread_context(request, group, membership, question)
    template = "groups/thread.html"
    if request.htmx:
        template += "#answers"
    return render(request, template, context)


@login_required
@require_POST
def answer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, question = get_post_for_reader(request, slug, pk)
    if membership is None:
        raise PermissionDenied
    if not question.is_question:
        raise Http404
    form = PostBodyForm(request.POST, group=group, user=request.user, membership=membership)
    preview = _preview(request, form)
    if preview is None and form.is_valid():
        try:
            new = question.answer(request.user, body=form.cleaned_data["body"])
        except GroupActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you for your answer."))
            return redirect(new)
    context = _thread_context(request, group, membership, question, answer_form=form)
    context["preview"] = preview
    return _post_form_response(request, "groups/thread.html", context, form, "answer-preview")


@login_required
@require_POST
def vote(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, post = get_post_for_reader(request, slug, pk)
    if membership is None or post.author_id == request.user.pk:
        raise PermissionDenied
    form = VoteForm(request.POST)
    error = None
    if not form.is_valid():
        error = _("Choose a valid vote.")
    else:
        try:
            post.vote(request.user, form.cleaned_data["value"])
        except GroupActionError as refused:
            error = str(refused)
    if request.htmx:
        post.my_vote = (
            Vote.objects.filter(post=post, user=request.user)
            .values_list("value", flat=True)
            .first()
            or 0
        )
        context = {"post": post, "group": group, "membership": membership, "vote_error": error}
        return render(request, "groups/thread.html#vote-box", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    return redirect(post)


@login_required
@require_POST
def accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, answer = get_post_for_reader(request, slug, pk)
    question = answer.question
    if question is None:
        raise Http404
    if question.author_id != request.user.pk:
        raise PermissionDenied
    try:
        if request.POST.get("undo"):
            question.unaccept(by=request.user)
            messages.success(request, _("The answer is no longer marked as accepted."))
        else:
            question.accept(answer, by=request.user)
            messages.success(request, _("Answer accepted: it now shows first."))
    except GroupActionError as error:
        messages.error(request, str(error))
    if request.htmx:
        return HttpResponseClientRedirect(answer.get_absolute_url())
    return redirect(answer)


@login_required
@require_POST
def post_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, post = get_post_for_reader(request, slug, pk)
    if not post.can_edit(request.user, membership):
        raise PermissionDenied
    post.soft_delete(by=request.user)
    messages.success(request, _("Post deleted."))
    if post.is_question:
        return redirect("groups:threads", group.slug)
    return redirect(post)


@require_GET
def post_history(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, post = get_post_for_reader(request, slug, pk)
    if post.is_deleted and not is_moderator(request, membership):
        raise Http404
    revisions = post.revisions.select_related("edited_by")
    context = {"group": group, "post": post, "revisions": revisions}
    return render(request, "groups/history.html", context)


@login_required
@require_POST
def comment(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, post = get_post_for_reader(request, slug, pk)
    if membership is None:
        raise PermissionDenied
    form = CommentForm(request.POST, group=group, user=request.user, membership=membership)
    if form.is_valid():
        try:
            post.comment(request.user, body=form.cleaned_data["body"])
        except GroupActionError as error:
            form.add_error(None, str(error))
        else:
            if request.htmx:
                form = CommentForm(group=group, user=request.user, membership=membership)
            else:
                return redirect(post)
    if request.htmx:
        post.comment_list = list(
            post.comments.filter(deleted_at__isnull=True).select_related("author")
        )
        post.comment_form = form
        context = {"post": post, "group": group, "membership": membership}
        context["can_moderate"] = is_moderator(request, membership)
        return render(request, "groups/thread.html#comments", context)
    question = post if post.is_question else post.question
    context = _thread_context(request, group, membership, question, failed=(post.pk, form))
    return render(request, "groups/thread.html", context, status=400)


@login_required
@require_POST
def comment_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership = get_group_for_reader(request, slug)
    found = get_object_or_404(
        Comment.objects.select_related("post").filter(post__group=group), pk=pk
    )
    if not (found.author_id == request.user.pk or is_moderator(request, membership)):
        raise PermissionDenied
    found.soft_delete(by=request.user)
    found.post.group = group
    messages.success(request, _("Comment deleted."))
    return redirect(found.post)


@login_required
@require_POST
def watch(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, question = get_post_for_reader(request, slug, pk)
    if membership is None:
        raise PermissionDenied
    if not question.is_question:
        raise Http404
    watching = request.POST.get("watch") == "1"
    if watching:
        question.watch(request.user)
    else:
        question.unwatch(request.user)
    if request.htmx:
        context = {"group": group, "question": question, "watching": watching}
        context["membership"] = membership
        return render(request, "groups/thread.html#watch", context)
    return redirect(question)


@login_required
@require_POST
def report(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, membership, post = get_post_for_reader(request, slug, pk)
    if membership is None or post.author_id == request.user.pk:
        raise PermissionDenied
    form = ReportForm(request.POST)
    if form.is_valid():
        post.report(request.user, **form.cleaned_data)
        messages.success(request, _("Thank you: the moderators will look at it."))
    else:
        messages.error(request, _("Choose a reason for the report."))
    return redirect(post)


@login_required
@require_http_methods(["GET", "POST"])
def reports(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    if request.method == "POST":
        found = get_object_or_404(
            PostReport.objects.filter(post__group=group), pk=request.POST.get("report") or 0
        )
        found.resolve(by=request.user)
        messages.success(request, _("Report handled."))
        return redirect("groups:reports", group.slug)
    open_reports = (
        PostReport.objects.filter(post__group=group, resolved_at__isnull=True)
        .select_related("post__author", "post__question", "reporter")
        .order_by("created_at", "pk")[:200]
    )
    for found in open_reports:
        found.post.group = group
    return render(request, "groups/reports.html", {"group": group, "reports": open_reports})

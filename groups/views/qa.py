"""Q&A views: thread lists, search, asking, answering, voting, accepting, comments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from config.markdown import render_markdown
from config.page_cache import cache_for_visitors, rendering_shared_copy, shared_for_members
from groups.forms import CommentForm, PostBodyForm, QuestionForm, VoteForm
from groups.fragments import prefetch_fragments, prefetch_rows
from groups.models import (
    SEARCH_CAP,
    Comment,
    GroupActionError,
    Post,
    ThreadWatch,
    Vote,
)
from groups.models.reports import open_target_count
from groups.shared import group_pages, group_reader, search_reader, thread_pages, thread_reader
from groups.views.access import (
    get_group_for_participant,
    get_group_for_reader,
    get_post_for_participant,
    get_post_for_reader,
    get_seat,
)
from profiles.models import block_between_exists
from profiles.models.accounts import blocked_ids
from profiles.ratelimits import RateLimited, rate_limited

THREAD_PAGE_SIZE = 20
ANSWER_PAGE_SIZE = 30
THREAD_ORDERS = ["active", "newest", "top", "unanswered"]


@require_GET
@cache_for_visitors
@shared_for_members(group_reader, group_pages)
def thread_list(request: HttpRequest, slug: str) -> HttpResponse:
    seat = get_group_for_reader(request, slug)
    group = seat.group
    query = request.GET.get("q", "").strip()[:100]
    order = request.GET.get("ordine", "")
    if order not in THREAD_ORDERS:
        order = "relevance" if query else "active"
    threads = (
        group.posts.shown_to(seat).questions().for_rows().select_related("author")
    ).with_accepted_flag()
    ranked = group.posts.thread_ranks(query) if query else None
    if ranked is not None:
        page = _matching_page(request, threads, ranked, order)
    else:
        page = Paginator(threads.sorted_by(order), THREAD_PAGE_SIZE).get_page(
            request.GET.get("pagina")
        )
    for thread in page.object_list:
        thread.group = group
    prefetch_rows(page.object_list)
    context = {
        "group": group,
        "membership": seat.membership,
        "page": page,
        "order": order,
        "orders": THREAD_ORDERS,
        "query": query,
        "capped": ranked is not None and len(ranked) >= SEARCH_CAP,
        "search_cap": SEARCH_CAP,
    }
    template = "groups/threads.html"
    if request.htmx:
        template += "#thread-list"
    return render(request, template, context)


@require_GET
@cache_for_visitors
@shared_for_members(search_reader)
def search(request: HttpRequest) -> HttpResponse:
    """Threads across every group the user may read."""
    query = request.GET.get("q", "").strip()[:100]
    ranked = Post.objects.visible_to(request.user).thread_ranks(query) if query else []
    threads = (
        Post.objects.visible_to(request.user)
        .questions()
        .for_rows()
        .select_related("author", "group")
    )
    if request.user.is_authenticated:
        # Questions by a member with a block either way are left out of the results.
        threads = threads.exclude(block_between_exists(request.user.pk, "author_id"))
    page = _matching_page(request, threads, ranked, "relevance")
    prefetch_rows(page.object_list, show_group=True)
    template = "groups/search.html"
    if request.htmx:
        template += "#search-results"
    context = {
        "page": page,
        "query": query,
        "capped": len(ranked) >= SEARCH_CAP,
        "search_cap": SEARCH_CAP,
    }
    return render(request, template, context)


def _matching_page(request: HttpRequest, threads, ranked: list[int], order: str):
    """The requested page of the search hits `ranked` (thread ids, best first), by relevance
    or in one of the list orders. `threads` scopes them again, so a thread hidden since the
    ranking is simply left out."""
    if order != "relevance":
        matching = threads.filter(pk__in=ranked).sorted_by(order)
        return Paginator(matching, THREAD_PAGE_SIZE).get_page(request.GET.get("pagina"))
    page = Paginator(ranked, THREAD_PAGE_SIZE).get_page(request.GET.get("pagina"))
    by_pk = threads.in_bulk(list(page.object_list))
    page.object_list = [by_pk[pk] for pk in page.object_list if pk in by_pk]
    return page


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
    seat = get_group_for_participant(request, slug)
    group = seat.group
    form = QuestionForm(request.POST or None, seat=seat)
    preview = _preview(request, form)
    limited = None
    if request.method == "POST" and preview is None and form.is_valid():
        try:
            question = Post.ask(group, request.user, seat=seat, **form.cleaned_data)
        except RateLimited as error:
            form.add_error(None, str(error))
            limited = error
        else:
            messages.success(request, _("Question published. You will be told about answers."))
            return redirect(question)
    context = {"group": group, "form": form, "preview": preview, "asking": True}
    response = _post_form_response(request, "groups/post_form.html", context, form)
    return rate_limited(response, limited, request)


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, post = get_post_for_reader(request, slug, pk)
    group = seat.group
    if not post.can_edit(seat):
        raise PermissionDenied
    form_class = QuestionForm if post.is_question else PostBodyForm
    initial = {"title": post.title, "body": post.body}
    form = form_class(request.POST or None, initial=initial, seat=seat)
    preview = _preview(request, form)
    if request.method == "POST" and preview is None and form.is_valid():
        if post.edit(by=request.user, **form.cleaned_data):
            messages.success(request, _("Changes saved. The previous version is in the history."))
        return redirect(post)
    context = {"group": group, "form": form, "preview": preview, "post": post}
    return _post_form_response(request, "groups/post_form.html", context, form)


def _thread_context(request, seat, question, *, answer_form=None, failed=None):
    """Everything the thread page shows, in a fixed number of queries whatever its size."""
    answers = question.answers.select_related("author").order_by(
        "-is_accepted", F("deleted_at").asc(nulls_first=True), "-score", "created_at", "pk"
    )
    page = Paginator(answers, ANSWER_PAGE_SIZE).get_page(request.GET.get("pagina"))
    group = seat.group
    posts = [question, *page.object_list]
    by_pk = {post.pk: post for post in posts}
    for post in posts:
        post.group = group
        post.editable = post.can_edit(seat)
        post.comment_list = []
        post.my_vote = 0
        post.comment_form = CommentForm(seat=seat)
    for comment in (
        Comment.objects.filter(post_id__in=by_pk, deleted_at__isnull=True)
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        by_pk[comment.post_id].comment_list.append(comment)
    watching = False
    # A shared copy's readers have no block, and no vote or watch in the thread
    # (groups.shared.thread_reader): nothing of theirs to read.
    if request.user.is_authenticated and not rendering_shared_copy(request):
        # Posts and comments by a member with a block either way are folded, not hidden: the
        # thread keeps its shape and the reader may still open them.
        blocked = blocked_ids(request.user.pk)
        for post in posts:
            post.by_blocked = post.author_id in blocked
            for comment in post.comment_list:
                comment.by_blocked = comment.author_id in blocked
        votes = Vote.objects.filter(user=request.user, post_id__in=by_pk)
        for post_id, value in votes.values_list("post_id", "value"):
            by_pk[post_id].my_vote = value
        watching = ThreadWatch.objects.filter(question=question, user=request.user).exists()
    if failed is not None:
        post_pk, form = failed
        by_pk[post_pk].comment_form = form
    can_moderate = seat.can_moderate
    is_asker = request.user.is_authenticated and question.author_id == request.user.pk
    prefetch_fragments(
        posts,
        group=group,
        viewer_pk=request.user.pk,
        member=seat.membership is not None,
        asker=is_asker,
        moderator=can_moderate,
    )
    return {
        "group": group,
        "membership": seat.membership,
        "question": question,
        "page": page,
        "watching": watching,
        "can_moderate": can_moderate,
        "is_asker": is_asker,
        "answer_form": answer_form or PostBodyForm(seat=seat),
        "open_reports": open_target_count(request.user, group) if can_moderate else 0,
    }


@require_GET
@cache_for_visitors
@shared_for_members(thread_reader, thread_pages)
def thread(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    try:
        seat, question = get_post_for_reader(request, slug, pk)
    except Http404:
        if request.user.is_authenticated or request.htmx:
            raise
        seat = get_seat(request, slug)
        if seat.can_read:
            raise
        # A shared link to a closed group's thread, opened logged out: the group's public card
        # and the way in, with 403. The same page for every pk, existing or not, so nothing of
        # the thread leaks, not even whether it exists.
        return render(request, "groups/thread_closed.html", {"group": seat.group}, status=403)
    if not question.is_question:
        return redirect(question)
    context = _thread_context(request, seat, question)
    template = "groups/thread.html"
    if request.htmx:
        template += "#answers"
    return render(request, template, context)


@login_required
@require_POST
def answer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, question = get_post_for_participant(request, slug, pk)
    if not question.is_question:
        raise Http404
    form = PostBodyForm(request.POST, seat=seat)
    preview = _preview(request, form)
    limited = None
    if preview is None and form.is_valid():
        try:
            new = question.answer(request.user, body=form.cleaned_data["body"], seat=seat)
        except GroupActionError as error:
            form.add_error(None, str(error))
        except RateLimited as error:
            form.add_error(None, str(error))
            limited = error
        else:
            messages.success(request, _("Thank you for your answer."))
            return redirect(new)
    context = _thread_context(request, seat, question, answer_form=form)
    context["preview"] = preview
    response = _post_form_response(request, "groups/thread.html", context, form, "answer-preview")
    return rate_limited(response, limited, request)


@login_required
@require_POST
def vote(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, post = get_post_for_participant(request, slug, pk)
    if post.author_id == request.user.pk:
        raise PermissionDenied
    form = VoteForm(request.POST)
    error = limited = None
    if not form.is_valid():
        error = _("Choose a valid vote.")
    else:
        try:
            post.vote(request.user, form.cleaned_data["value"], seat=seat)
        except GroupActionError as refused:
            error = str(refused)
        except RateLimited as refused:
            error, limited = str(refused), refused
    if request.htmx:
        post.my_vote = (
            Vote.objects.filter(post=post, user=request.user)
            .values_list("value", flat=True)
            .first()
            or 0
        )
        context = {
            "post": post,
            "group": seat.group,
            "membership": seat.membership,
            "vote_error": error,
        }
        response = render(
            request, "groups/thread.html#vote-box", context, status=400 if error else 200
        )
        return rate_limited(response, limited, request)
    if error:
        messages.error(request, error)
    return redirect(post)


@login_required
@require_POST
def accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _seat, answer = get_post_for_reader(request, slug, pk)
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
    seat, post = get_post_for_reader(request, slug, pk)
    if not post.can_edit(seat):
        raise PermissionDenied
    post.soft_delete(by=request.user)
    messages.success(request, _("Post deleted."))
    if post.is_question:
        target = reverse("groups:threads", args=[seat.group.slug])
    else:
        target = post.get_absolute_url()
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


@require_GET
def post_history(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, post = get_post_for_reader(request, slug, pk)
    if post.is_deleted and not seat.can_moderate:
        raise Http404
    revisions = post.revisions.select_related("edited_by")
    context = {"group": seat.group, "post": post, "revisions": revisions}
    return render(request, "groups/history.html", context)


@login_required
@require_POST
def comment(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, post = get_post_for_participant(request, slug, pk)
    form = CommentForm(request.POST, seat=seat)
    limited = None
    if form.is_valid():
        try:
            post.comment(request.user, body=form.cleaned_data["body"], seat=seat)
        except GroupActionError as error:
            form.add_error(None, str(error))
        except RateLimited as error:
            form.add_error(None, str(error))
            limited = error
        else:
            if request.htmx:
                form = CommentForm(seat=seat)
            else:
                return redirect(post)
    if request.htmx:
        post.comment_list = list(
            post.comments.filter(deleted_at__isnull=True).select_related("author")
        )
        blocked = blocked_ids(request.user.pk)
        for comment in post.comment_list:
            comment.by_blocked = comment.author_id in blocked
        post.comment_form = form
        context = {"post": post, "group": seat.group, "membership": seat.membership}
        context["can_moderate"] = seat.can_moderate
        response = render(request, "groups/thread.html#comments", context)
        return rate_limited(response, limited, request)
    question = post if post.is_question else post.question
    context = _thread_context(request, seat, question, failed=(post.pk, form))
    return render(request, "groups/thread.html", context, status=400)  # rate limits included


@login_required
@require_POST
def comment_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat = get_group_for_reader(request, slug)
    group = seat.group
    found = get_object_or_404(
        Comment.objects.select_related("post").filter(post__group=group), pk=pk
    )
    if not (found.author_id == request.user.pk or seat.can_moderate):
        raise PermissionDenied
    found.soft_delete(by=request.user)
    found.post.group = group
    messages.success(request, _("Comment deleted."))
    return redirect(found.post)


@login_required
@require_POST
def watch(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, question = get_post_for_participant(request, slug, pk)
    if not question.is_question:
        raise Http404
    watching = request.POST.get("watch") == "1"
    if watching:
        question.watch(request.user)
    else:
        question.unwatch(request.user)
    if request.htmx:
        context = {"group": seat.group, "question": question, "watching": watching}
        context["membership"] = seat.membership
        return render(request, "groups/thread.html#watch", context)
    return redirect(question)

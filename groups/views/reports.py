"""Reports: the report form for posts and comments, the review queue (across the
moderator's groups, or one group's) and the inline decisions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups.forms import ReviewDecisionForm
from groups.models import Comment, GroupActionError
from groups.models.reports import cards_for, decide, open_targets, report_content, report_event
from groups.views.access import (
    get_event_for_reader,
    get_group_for_moderator,
    get_group_for_participant,
    get_post_for_participant,
    get_reported_for_reviewer,
)
from profiles.forms import ReportForm
from profiles.ratelimits import RateLimited

REVIEW_PAGE_SIZE = 20


def report_form_response(request, form, context, item, *, done_url: str) -> HttpResponse:
    """Shared by every report form (posts, comments, profiles): the form page, or the filing
    of the report. Nothing typed is lost on a refusal."""
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        try:
            context["file"](**form.cleaned_data)
        except RateLimited as limited:
            form.add_error(None, str(limited))
            status, retry_after = 429, limited.retry_after
        except GroupActionError as error:
            form.add_error(None, str(error))
            status = 400
        else:
            reviewers = (
                _("Thank you: Gilda's staff will look at it.")
                if context.get("to_staff")
                else _("Thank you: the moderators will look at it.")
            )
            messages.success(request, f"{reviewers} {_('Nobody is told who reported it.')}")
            return redirect(done_url)
    elif request.method == "POST":
        status = 400
    context = {key: value for key, value in context.items() if key != "file"}
    context.update({"form": form, "item": item})
    response = render(request, "groups/report.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def report_post(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, post = get_post_for_participant(request, slug, pk)
    if post.author_id == request.user.pk:
        raise PermissionDenied
    if post.is_deleted:
        return redirect(post)
    form = ReportForm(request.POST or None)

    def file(reason, note):
        post.report(request.user, reason=reason, note=note, seat=seat)

    context = {"group": seat.group, "file": file, "back": post.get_absolute_url()}
    return report_form_response(request, form, context, post, done_url=post.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def report_comment(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat = get_group_for_participant(request, slug)
    comment = get_object_or_404(
        Comment.objects.select_related("post", "author").filter(
            post__group=seat.group, deleted_at__isnull=True
        ),
        pk=pk,
    )
    comment.post.group = seat.group
    back = comment.post.get_absolute_url()
    if comment.author_id == request.user.pk:
        raise PermissionDenied
    form = ReportForm(request.POST or None)

    def file(reason, note):
        report_content(comment, seat.group, request.user, reason=reason, note=note, seat=seat)

    context = {"group": seat.group, "file": file, "back": back}
    return report_form_response(request, form, context, comment, done_url=back)


@login_required
@require_http_methods(["GET", "POST"])
def report_event_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    seat, event = get_event_for_reader(request, slug, pk)
    if not seat.can_participate or event.organiser_id == request.user.pk:
        raise PermissionDenied
    form = ReportForm(request.POST or None)

    def file(reason, note):
        report_event(event, request.user, reason=reason, note=note, seat=seat)

    back = event.get_absolute_url()
    context = {"group": seat.group, "file": file, "back": back}
    return report_form_response(request, form, context, event, done_url=back)


def _queue(request: HttpRequest, group=None) -> HttpResponse:
    rows = open_targets(request.user, group)
    page = Paginator(rows, REVIEW_PAGE_SIZE).get_page(request.GET.get("pagina"))
    context = {
        "group": group,
        "page": page,
        "cards": cards_for(page.object_list),
        "decision_form": ReviewDecisionForm(),
    }
    template = "groups/reports.html"
    if request.htmx:
        template += "#review-list"
    return render(request, template, context)


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """Every open report the member reviews, across all the groups they moderate (and the
    profile reports, for staff)."""
    return _queue(request)


@login_required
@require_GET
def reports(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_group_for_moderator(request, slug).group
    return _queue(request, group)


@login_required
@require_POST
def review_decide(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    seat, target_type, item = get_reported_for_reviewer(request, kind, pk)
    form = ReviewDecisionForm(request.POST)
    decided = False
    if form.is_valid():
        try:
            decided = decide(
                target_type,
                item,
                form.cleaned_data["decision"],
                by=request.user,
                seat=seat,
                target_id=pk,
            )
        except GroupActionError as error:
            form.add_error(None, str(error))
        else:
            if not decided:
                form.add_error(None, _("Another moderator already decided this report."))
    if request.htmx:
        card = cards_for(
            [
                {
                    "target_type": target_type,
                    "target_id": pk,
                    "scope": "",
                    "reports": 0,
                    "since": None,
                }
            ]
        )[0]
        card["decided"] = form.cleaned_data.get("decision") if decided else None
        context = {"card": card, "decision_form": form}
        return render(
            request, "groups/reports.html#review-card", context, status=200 if decided else 400
        )
    if decided:
        messages.success(request, _("Decision saved."))
    else:
        for error in form.errors.get("__all__", []) or [_("Choose a decision.")]:
            messages.error(request, error)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("groups:review")
    return redirect(back)


__all__ = [
    "report_comment",
    "report_event_view",
    "report_post",
    "reports",
    "review",
    "review_decide",
]

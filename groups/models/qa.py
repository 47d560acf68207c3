"""Q&A: questions and answers are both Posts, so one Vote table and one score serve both."""

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import connections, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from config.markdown import render_markdown
from config.page_cache import forget_pages
from groups.models.groups import (
    ACCEPTED_ANSWER_POINTS,
    ACTIVITY_DAYS,
    ANSWER_POINTS,
    QUESTION_POINTS,
    Group,
    GroupActionError,
    Membership,
    Seat,
)
from groups.models.qa_records import (
    Comment,
    PostRevision,
    ThreadWatch,
    Vote,
    content_withdrawn,
)
from profiles.models import Block, EmailKind, Notification, OutboxTask, Report
from profiles.models.accounts import block_between_exists
from profiles.ratelimits import enforce

# The "italian" text search configuration with unaccent in front of the Italian stemmer,
# created by migration 0004 on PostgreSQL.
SEARCH_CONFIG = "gilda_italian"
# Search pages list at most SEARCH_CAP threads ("more than 1,000 results"), found among the
# newest SEARCH_CANDIDATES matching posts.
SEARCH_CAP = 1000
SEARCH_CANDIDATES = 2000


def _is_postgresql(alias: str = "default") -> bool:
    return connections[alias].vendor == "postgresql"


class PostQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def for_rows(self):
        """Without what a thread-list row never shows: the body (source and HTML) and the
        search vector, the widest columns of the table."""
        return self.defer("body", "body_html", "search_vector")

    def with_accepted_flag(self):
        """`has_accepted` on each question: the pk of its accepted answer, or None. A scalar
        subquery, probed once per row the page shows through post_one_accepted_answer: written
        as EXISTS, PostgreSQL chose to hash every accepted answer of the site first, planning
        for all the group's questions rather than the page's (2.6 of the thread list's 3.0 ms
        on seed-large)."""
        accepted = Post.objects.filter(question=OuterRef("pk"), is_accepted=True)
        return self.annotate(has_accepted=Subquery(accepted.values("pk")[:1]))

    def visible_to(self, user):
        """Non-deleted posts in groups whose inside the user may read.

        Post.is_visible_to() is the single-object twin; a property test keeps them equal.
        """
        return self.filter(
            deleted_at__isnull=True,
            hidden_at__isnull=True,
            group__in=Group.objects.readable_by(user),
        )

    def shown_to(self, seat: Seat):
        """Live posts of the seat's group as its lists show them: reported posts hidden pending
        review are left out, except for the group's moderators."""
        posts = self.alive()
        return posts if seat.can_moderate else posts.filter(hidden_at__isnull=True)

    def questions(self):
        return self.filter(kind=Post.Kind.QUESTION)

    def answers(self):
        return self.filter(kind=Post.Kind.ANSWER)

    def unanswered(self):
        return self.questions().filter(answer_count=0)

    def sorted_by(self, order: str):
        if order == "active":
            return self.order_by("-last_activity_at", "-pk")
        if order == "top":
            return self.order_by("-score", "-last_activity_at", "-pk")
        if order == "unanswered":
            return self.unanswered().order_by("-created_at", "-pk")
        return self.order_by("-created_at", "-pk")

    def search(self, text: str):
        """Posts whose title or body match: PostgreSQL full text (Italian, unaccented, ranked),
        a plain substring match elsewhere."""
        text = (text or "").strip()[:200]
        if not text:
            return self
        if _is_postgresql(self.db):
            query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
            return self.filter(search_vector=query).annotate(
                rank=SearchRank(F("search_vector"), query)
            )
        return self.filter(Q(title__icontains=text) | Q(body__icontains=text)).annotate(
            rank=models.Value(0.0, output_field=models.FloatField())
        )

    def threads_matching(self, text: str):
        """Questions that match, or whose live answers match, best match first."""
        text = (text or "").strip()[:200]
        if not text:
            return self
        hits = (
            Post.objects.alive()
            .search(text)
            .filter(Q(pk=OuterRef("pk")) | Q(question_id=OuterRef("pk")))
        )
        return self.filter(Exists(hits)).annotate(
            rank=models.Subquery(hits.order_by("-rank").values("rank")[:1])
        )

    def thread_ranks(self, text: str, cap: int | None = None) -> list[int]:
        """Ids of the threads whose question or a live answer matches, best first, at most
        `cap`; call it on posts already scoped to what the reader may see.

        It starts from the full-text index: the newest SEARCH_CANDIDATES matching posts
        (not every match: a common word matches half the site), ranked, one entry per thread.
        """
        text = (text or "").strip()[:200]
        if not text:
            return []
        hits = (
            self.alive()
            .filter(Q(question__isnull=True) | Q(question__deleted_at__isnull=True))
            .search(text)
            .annotate(thread=Coalesce("question_id", "id"))
            .order_by("-pk")
            .values_list("thread", "rank")[:SEARCH_CANDIDATES]
        )
        best: dict[int, float] = {}
        for thread, rank in hits:
            if rank > best.get(thread, -1.0):
                best[thread] = rank
        ranked = sorted(best, key=lambda thread: (-best[thread], -thread))
        return ranked[: cap or SEARCH_CAP]

    def update_search_vectors(self) -> int:
        if not _is_postgresql(self.db):
            return 0
        return self.update(
            search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("body", weight="B", config=SEARCH_CONFIG)
        )


class Post(models.Model):
    """A question (with a title) or an answer to one. Bodies are Markdown, stored as source
    with the sanitised HTML beside it."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("Question")
        ANSWER = "answer", _("Answer")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="posts", verbose_name=_("group")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    question = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("question"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="posts",
        verbose_name=_("author"),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), max_length=20000)
    body_html = models.TextField(editable=False, blank=True)
    # Maintained with F() under a row lock, in the same transaction as the votes and answers.
    score = models.IntegerField(_("score"), default=0, editable=False)
    answer_count = models.PositiveIntegerField(_("answers"), default=0, editable=False)
    is_accepted = models.BooleanField(_("accepted"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True, editable=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
        editable=False,
    )
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
        editable=False,
    )
    # Set when enough members reported the post (groups.models.reports): hidden pending review.
    hidden_at = models.DateTimeField(_("hidden pending review"), null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="question", question__isnull=True) & ~Q(title=""))
                | Q(kind="answer", question__isnull=False),
                name="post_kind_shape",
            ),
            models.CheckConstraint(
                condition=Q(is_accepted=False) | Q(kind="answer"), name="post_only_answers_accepted"
            ),
            models.UniqueConstraint(
                fields=["question"],
                condition=Q(is_accepted=True),
                name="post_one_accepted_answer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["group", "-last_activity_at"],
                condition=Q(kind="question"),
                name="post_thread_list_idx",
            ),
            models.Index(fields=["question", "-score"], name="post_answers_idx"),
            models.Index(fields=["author", "-created_at"], name="post_author_idx"),
            # The group page's "N questions wait for an answer": a few rows, not the group's.
            models.Index(
                fields=["group"],
                condition=Q(kind="question", answer_count=0, deleted_at__isnull=True),
                name="post_unanswered_idx",
            ),
            # The group page's "most active": this group's live posts since the roll-up.
            models.Index(
                fields=["group", "created_at"],
                condition=Q(deleted_at__isnull=True),
                name="post_group_recent_idx",
            ),
            # A group's search starts from its newest posts and stops at SEARCH_CANDIDATES
            # matches: a common word (in half the posts) no longer bitmaps and sorts them all.
            models.Index(fields=["group", "-id"], name="post_group_newest_idx"),
            # The thread list's pager counts a group's live questions as members see them: an
            # index-only count, not a visit to every question's heap page (8.7 ms each, 2.5%
            # of a core in the load test).
            models.Index(
                fields=["group"],
                condition=Q(kind="question", deleted_at__isnull=True, hidden_at__isnull=True),
                name="post_live_questions_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title if self.is_question else f"↳ {self.body[:60]}"

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = set(update_fields) | {"body_html"}
        super().save(*args, **kwargs)
        self.pages_changed()

    def get_absolute_url(self) -> str:
        url = reverse("groups:thread", args=[self.group.slug, self.thread_id])
        return url if self.is_question else f"{url}#post-{self.pk}"

    def pages_changed(self) -> None:
        """The shared pages that show this post (its thread, its group's) are read again."""
        forget_pages(f"thread:{self.thread_id}", f"group:{self.group.slug}")

    @property
    def is_question(self) -> bool:
        return self.kind == self.Kind.QUESTION

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def thread_id(self) -> int:
        return self.pk if self.is_question else self.question_id

    # Access -------------------------------------------------------------------------------

    def is_visible_to(self, user, seat: Seat | None = None) -> bool:
        """The single-object twin of PostQuerySet.visible_to()."""
        seat = seat or self.group.seat_for(user)
        return not self.is_deleted and not self.is_hidden and seat.can_read

    def can_edit(self, seat: Seat) -> bool:
        if not seat.user.is_authenticated or self.is_deleted:
            return False
        return seat.can_moderate or self.author_id == seat.user.pk

    @staticmethod
    def _participant(group: Group, user, seat: Seat | None) -> Membership:
        """The user's seat, from the caller's Seat when it has one (no query)."""
        if seat is None or seat.group.pk != group.pk or seat.user.pk != user.pk:
            seat = group.seat_for(user)
        return seat.require_participant()

    # Asking and answering -----------------------------------------------------------------

    @classmethod
    def ask(cls, group: Group, user, *, title: str, body: str, seat: Seat | None = None) -> "Post":
        cls._participant(group, user, seat)
        enforce(user, "question", Post.objects.filter(author=user, kind=cls.Kind.QUESTION))
        with transaction.atomic():
            question = cls.objects.create(
                group=group, author=user, kind=cls.Kind.QUESTION, title=title.strip(), body=body
            )
            question.watch(user)
            cls.objects.filter(pk=question.pk).update_search_vectors()
        return question

    def answer(self, user, *, body: str, seat: Seat | None = None) -> "Post":

        if not self.is_question or self.is_deleted:
            raise GroupActionError(_("This question can no longer be answered."))
        self._participant(self.group, user, seat)
        enforce(user, "answer", Post.objects.filter(author=user, kind=self.Kind.ANSWER))
        now = timezone.now()
        with transaction.atomic():
            answer = Post.objects.create(
                group_id=self.group_id,
                question=self,
                author=user,
                kind=self.Kind.ANSWER,
                body=body,
                created_at=now,
                last_activity_at=now,
            )
            Post.objects.filter(pk=self.pk).update(
                answer_count=F("answer_count") + 1, last_activity_at=now
            )
            Post.objects.filter(pk=answer.pk).update_search_vectors()
            self.watch(user)
            OutboxTask.enqueue("groups.tasks.notify_watchers_of_answer", answer.pk)
        self.refresh_from_db(fields=["answer_count", "last_activity_at"])
        answer.question = self
        return answer

    def notify_watchers(self) -> int:
        """Tell the thread's watchers about this answer, once each; safe to run twice."""
        if self.is_question or self.is_deleted:
            return 0
        question = self.question
        told = set(
            Notification.objects.filter(
                kind="group-new-answer", params__answer_id=self.pk
            ).values_list("recipient_id", flat=True)
        )
        watchers = ThreadWatch.objects.filter(question=question).exclude(user_id=self.author_id)
        if self.author_id:
            # Neither side of a block hears of the other's activity.
            watchers = watchers.exclude(block_between_exists(self.author_id, "user_id"))
        if self.group.is_closed:
            # Someone who left or was removed no longer hears about the inside.
            watchers = watchers.filter(
                Exists(Membership.objects.filter(group=self.group, user=OuterRef("user")))
            )
        sent = 0
        for watch in watchers.select_related("user"):
            if watch.user_id in told:
                continue
            Notification.send(
                watch.user,
                "group-new-answer",
                gettext_noop("%(user)s answered “%(title)s” in %(group)s."),
                {
                    "user": self.author.name if self.author else "",
                    "title": question.title,
                    "group": self.group.name,
                    "answer_id": self.pk,
                },
                url=self.get_absolute_url(),
                scope=self.group.notification_scope,
                email_kind=EmailKind.ANSWERS,
                mentions_me=watch.user_id == question.author_id,
            )
            sent += 1
        return sent

    def comment(self, user, *, body: str, seat: Seat | None = None) -> "Comment":
        if self.is_deleted:
            raise GroupActionError(_("This post was deleted."))
        self._participant(self.group, user, seat)
        enforce(user, "comment", Comment.objects.filter(author=user))
        with transaction.atomic():
            comment = Comment.objects.create(post=self, author=user, body=body)
            Post.objects.filter(pk=self.thread_id).update(last_activity_at=comment.created_at)
            self.pages_changed()
        return comment

    # Votes --------------------------------------------------------------------------------

    def vote(self, user, value: int, *, seat: Seat | None = None) -> int:
        """Set the user's vote to +1, -1 or 0 (withdrawn); return the new score.

        The post row is locked so the vote row and the score change together: the score
        always equals the sum of the votes, however many people click at once.
        """
        if value not in (-1, 0, 1):
            raise GroupActionError(_("Choose a valid vote."))
        if self.author_id == user.pk:
            raise GroupActionError(_("You cannot vote on your own posts."))
        if self.is_deleted:
            raise GroupActionError(_("This post was deleted."))
        if self.is_hidden and value:
            raise GroupActionError(_("Hidden pending review: several members reported it."))
        self._participant(self.group, user, seat)
        if value:
            enforce(user, "vote", Vote.objects.filter(user=user), field="updated_at")
        with transaction.atomic():
            locked = Post.objects.select_for_update().only("pk").get(pk=self.pk)
            current = Vote.objects.filter(post=locked, user=user).first()
            before = current.value if current else 0
            if value == before:
                pass
            elif value == 0:
                current.delete()
            elif current is None:
                Vote.objects.create(post=locked, user=user, value=value)
            else:
                Vote.objects.filter(pk=current.pk).update(value=value, updated_at=timezone.now())
            if value != before:
                Post.objects.filter(pk=self.pk).update(score=F("score") + (value - before))
                self.pages_changed()
        self.refresh_from_db(fields=["score"])
        return self.score

    # Accepting ----------------------------------------------------------------------------

    def accept(self, answer: "Post", *, by) -> bool:
        """The asker marks one answer of their question as accepted (replacing any other).
        False if it already was."""
        if not self.is_question or self.author_id != by.pk:
            raise GroupActionError(_("Only the person who asked can accept an answer."))
        with transaction.atomic():
            # The question's row is the lock every accept and every deletion of one of its
            # answers takes first: two accepts queue here, and so does a deletion.
            Post.objects.select_for_update().only("pk").get(pk=self.pk)
            # Every precondition is read again under that lock, not trusted from `answer`,
            # which may have been loaded before a deletion.
            acceptable = Post.objects.filter(
                pk=answer.pk, question_id=self.pk, kind=self.Kind.ANSWER, deleted_at__isnull=True
            )
            if not acceptable.exists():
                raise GroupActionError(_("Choose an answer to this question."))
            Post.objects.filter(question=self, is_accepted=True).exclude(pk=answer.pk).update(
                is_accepted=False
            )
            changed = acceptable.filter(is_accepted=False).update(is_accepted=True)
            self.pages_changed()
            if (
                changed
                and answer.author_id
                and answer.author_id != by.pk
                and not Block.objects.between(answer.author_id, by.pk).exists()
            ):
                Notification.send(
                    answer.author,
                    "group-answer-accepted",
                    gettext_noop("%(user)s accepted your answer to “%(title)s”."),
                    {"user": by.name, "title": self.title, "answer_id": answer.pk},
                    url=answer.get_absolute_url(),
                    scope=self.group.notification_scope,
                    email_kind=EmailKind.ANSWERS,
                    mentions_me=True,
                )
        answer.is_accepted = True
        return bool(changed)

    def unaccept(self, *, by) -> bool:
        if not self.is_question or self.author_id != by.pk:
            raise GroupActionError(_("Only the person who asked can accept an answer."))
        changed = Post.objects.filter(question=self, is_accepted=True).update(is_accepted=False)
        self.pages_changed()
        return bool(changed)

    # Editing and deleting -----------------------------------------------------------------

    def edit(self, *, by, body: str, title: str = "") -> bool:
        """Save a new version, keeping the previous one in the history. False if unchanged.

        The row is locked and the version recorded is the locked one, not this (possibly stale)
        copy: two edits at once keep both the original and the middle version in the history.
        """
        title = title.strip() if self.is_question else ""
        with transaction.atomic():
            current = Post.objects.select_for_update().get(pk=self.pk)
            if body == current.body and title == current.title:
                self.title, self.body = current.title, current.body
                return False
            PostRevision.objects.create(
                post=self,
                title=current.title,
                body=current.body,
                edited_by_id=current.edited_by_id or current.author_id,
                created_at=current.edited_at or current.created_at,
            )
            self.title, self.body = title, body
            self.edited_at, self.edited_by = timezone.now(), by
            self.save(update_fields=["title", "body", "edited_at", "edited_by"])
            Post.objects.filter(pk=self.pk).update_search_vectors()
        return True

    def soft_delete(self, *, by) -> bool:
        """Hide the content, keep the place in the thread. False if already deleted."""
        with transaction.atomic():
            # The question first, as Post.accept does: an accept and a deletion queue up.
            Post.objects.select_for_update().only("pk").get(pk=self.thread_id)
            changed = Post.objects.filter(pk=self.pk, deleted_at__isnull=True).update(
                deleted_at=timezone.now(), deleted_by=by, is_accepted=False
            )
            if changed and not self.is_question:
                Post.objects.filter(pk=self.question_id).update(answer_count=F("answer_count") - 1)
            if changed:
                content_withdrawn.send(Post)
        self.refresh_from_db(fields=["deleted_at", "deleted_by", "is_accepted"])
        return bool(changed)

    # Watching and reporting ---------------------------------------------------------------

    def watch(self, user) -> None:
        ThreadWatch.objects.get_or_create(question_id=self.thread_id, user=user)

    def unwatch(self, user) -> None:
        ThreadWatch.objects.filter(question_id=self.thread_id, user=user).delete()

    def report(self, user, *, reason: str, note: str = "", seat: Seat | None = None) -> Report:
        """Report the post to the group's moderators; reporting twice keeps the first report.
        Enough reporters hide it pending review (groups.models.reports)."""
        from groups.models.reports import report_content

        return report_content(self, self.group, user, reason=reason, note=note, seat=seat)


class _KindManager(models.Manager.from_queryset(PostQuerySet)):
    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind)


class Question(Post):
    """Questions only, for the admin."""

    objects = _KindManager(Post.Kind.QUESTION)

    class Meta:
        proxy = True
        verbose_name = _("question")
        verbose_name_plural = _("questions")


class Answer(Post):
    """Answers only, for the admin."""

    objects = _KindManager(Post.Kind.ANSWER)

    class Meta:
        proxy = True
        verbose_name = _("answer")
        verbose_name_plural = _("answers")


def with_activity(profiles, viewer, group: Group | None = None):
    """Annotate each profile with activity_score: points for questions, answers and accepted
    answers of the last ACTIVITY_DAYS days, counted only in groups the viewer may read, so
    that closed-group activity never shows through; or in one group."""
    since = timezone.now() - timedelta(days=ACTIVITY_DAYS)
    posts = Post.objects.visible_to(viewer).filter(
        author=OuterRef("user_id"), created_at__gte=since
    )
    if group is not None:
        posts = posts.filter(group=group)
    points = models.Case(
        models.When(kind="answer", is_accepted=True, then=ACCEPTED_ANSWER_POINTS),
        models.When(kind="answer", then=ANSWER_POINTS),
        default=QUESTION_POINTS,
    )
    total = posts.order_by().values("author").annotate(points=models.Sum(points))
    return profiles.annotate(
        activity_score=Coalesce(models.Subquery(total.values("points")[:1]), 0)
    )


def activity_shown_to(viewer, member) -> dict[str, int]:
    """Questions, answers and accepted answers, counted only in groups the viewer can read:
    activity in a closed group stays invisible to outsiders, even as a number."""
    return (
        Post.objects.visible_to(viewer)
        .filter(author=member)
        .aggregate(
            questions=Count("pk", filter=Q(kind=Post.Kind.QUESTION)),
            answers=Count("pk", filter=Q(kind=Post.Kind.ANSWER)),
            accepted=Count("pk", filter=Q(kind=Post.Kind.ANSWER, is_accepted=True)),
        )
    )

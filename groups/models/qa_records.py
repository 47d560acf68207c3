"""What hangs off a post: comments, votes, earlier versions, watchers and reports."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.markdown import render_markdown


class Comment(models.Model):
    """A short clarification under a question or an answer."""

    post = models.ForeignKey(
        "groups.Post", on_delete=models.CASCADE, related_name="comments", verbose_name=_("post")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="post_comments",
        verbose_name=_("author"),
    )
    body = models.TextField(_("comment"), max_length=600)
    body_html = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
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

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["post", "created_at"], name="comment_post_idx")]

    def __str__(self) -> str:
        return self.body[:60]

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def soft_delete(self, *, by) -> bool:
        changed = Comment.objects.filter(pk=self.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by=by
        )
        self.refresh_from_db(fields=["deleted_at", "deleted_by"])
        return bool(changed)


class Vote(models.Model):
    post = models.ForeignKey(
        "groups.Post", on_delete=models.CASCADE, related_name="votes", verbose_name=_("post")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="post_votes",
        verbose_name=_("user"),
    )
    value = models.SmallIntegerField(_("vote"), choices=[(1, "+1"), (-1, "-1")])
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["user", "post"], name="vote_one_per_user_post"),
            models.CheckConstraint(condition=Q(value__in=[-1, 1]), name="vote_value_valid"),
        ]
        indexes = [models.Index(fields=["post"], name="vote_post_idx")]

    def __str__(self) -> str:
        return f"{self.user} {self.value:+d} {self.post_id}"


class PostRevision(models.Model):
    """A previous version of a post, kept when it is edited."""

    post = models.ForeignKey(
        "groups.Post", on_delete=models.CASCADE, related_name="revisions", verbose_name=_("post")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.post_id} @ {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def body_html(self) -> str:
        return render_markdown(self.body)


class ThreadWatch(models.Model):
    question = models.ForeignKey(
        "groups.Post", on_delete=models.CASCADE, related_name="watches", verbose_name=_("question")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="thread_watches",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("followed thread")
        verbose_name_plural = _("followed threads")
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="threadwatch_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ☆ {self.question_id}"


class PostReport(models.Model):
    class Reason(models.TextChoices):
        PROMOTION = "promotion", _("Self-promotion")
        SPAM = "spam", _("Spam")
        OTHER = "other", _("Something else")

    post = models.ForeignKey(
        "groups.Post", on_delete=models.CASCADE, related_name="reports", verbose_name=_("post")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="post_reports",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    resolved_at = models.DateTimeField(_("handled"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["post", "reporter"], name="postreport_unique"),
            models.CheckConstraint(
                condition=Q(reason__in=["promotion", "spam", "other"]),
                name="postreport_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.post}"

    def resolve(self, *, by) -> bool:
        changed = PostReport.objects.filter(pk=self.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=by
        )
        return bool(changed)

"""What hangs off a post: comments, votes, earlier versions and watchers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.markdown import render_markdown

# Sent (sender=Post, Comment or Event) after posts or comments were hidden or deleted, or an
# event cancelled, inside the transaction: the home's cached blocks (a higher layer) listen.
content_withdrawn = Signal()


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
    hidden_at = models.DateTimeField(_("hidden pending review"), null=True, blank=True)

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

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def report(self, user, *, reason: str, note: str = "", seat=None):
        """Report the comment to the group's moderators (groups.models.reports)."""
        from groups.models.reports import report_content

        return report_content(self, self.post.group, user, reason=reason, note=note, seat=seat)

    def soft_delete(self, *, by) -> bool:
        changed = Comment.objects.filter(pk=self.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), deleted_by=by
        )
        self.refresh_from_db(fields=["deleted_at", "deleted_by"])
        if changed:
            content_withdrawn.send(Comment)
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

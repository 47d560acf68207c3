"""The groups layer's blocks of the member's home: questions they could answer, what happened
on their threads, and what waits for them as a moderator. Each reads only what the member may
read on the pages (their own groups' insides), in a constant number of queries."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.db.models import CharField, Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from config.compiled import CompiledQuery
from groups.models import Comment, Event, Group, Membership, Post, ThreadWatch
from groups.templatetags.post_urls import post_url
from profiles import geo
from profiles.models import Profile, Report, User
from profiles.models.accounts import block_between_exists

# Candidates read per home: the newest open questions of the member's groups, unanswered
# first. Matching runs over these in Python, so the cost is flat however big the groups.
QUESTION_CANDIDATES = 200
# Questions quiet for longer than this are not offered: the asker has likely moved on, and the
# window keeps the candidates query on the recent end of the thread-list index.
QUESTION_WINDOW = timedelta(days=60)
QUESTIONS_SHOWN = 5
# Picks kept beyond those shown: the member's answers take picks out until the next reading.
QUESTIONS_SPARE = 5
ACTIVITY_SHOWN = 8
# Words of "I can help with" shorter than this are too common to match on.
OFFER_WORD_MIN = 5
OFFER_STOPWORDS = {
    "aiutare", "posso", "anche", "della", "delle", "degli", "sulla", "sulle", "questo",
    "questa", "quello", "quella", "about", "their", "there", "which", "would", "other",
}  # fmt: skip


# What a pick shows of its question, read as one tuple per candidate.
CANDIDATE_FIELDS = (
    "pk", "title", "answer_count", "created_at", "last_activity_at", "excerpt",
    "accepted_here", "group_id", "group__name", "group__slug",
)  # fmt: skip


@dataclass
class QuestionPick:
    candidate: dict
    reasons: list[str] = field(default_factory=list)
    score: int = 0

    @cached_property
    def question(self) -> Post:
        """The question as an unsaved-looking Post with its group: what the home and the
        digest show of it (title, group, answers, dates, address)."""
        row = self.candidate
        group = Group(pk=row["group_id"], name=row["group__name"], slug=row["group__slug"])
        fields = ("pk", "title", "answer_count", "created_at", "last_activity_at")
        return Post(group=group, kind=Post.Kind.QUESTION, **{name: row[name] for name in fields})

    @property
    def url(self) -> str:
        return post_url("thread", self.candidate["group__slug"], self.candidate["pk"])


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= OFFER_WORD_MIN}


def _contains(haystack: str, needle: str) -> bool:
    needle = needle.lower()
    if needle not in haystack:  # most needles are not there: skip the regex
        return False
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def question_picks(user) -> list[QuestionPick]:
    """The picks the home keeps: those it shows and a few spare (still_unanswered)."""
    return questions_you_could_answer(user, QUESTIONS_SHOWN + QUESTIONS_SPARE)


def _answers_by(user):
    return Post.objects.answers().alive().filter(author=user)


def still_unanswered(user, picks: list[QuestionPick]) -> list[QuestionPick]:
    """The first picks the member has not answered since they were read. One query."""
    answered = set(
        _answers_by(user)
        .filter(question_id__in=[pick.candidate["pk"] for pick in picks])
        .values_list("question_id", flat=True)
    )
    return [pick for pick in picks if pick.candidate["pk"] not in answered][:QUESTIONS_SHOWN]


def questions_you_could_answer(user, limit: int = QUESTIONS_SHOWN) -> list[QuestionPick]:
    """Open questions in the member's groups, picked by their skills, their offers and the
    groups where their answers were accepted; unanswered first. Two queries: the profile with
    its skills, and the candidates (with "accepted answers of mine in this group")."""
    profile = (
        Profile.objects.filter(user=user).prefetch_related("skills").only("pk", "offers").first()
    )
    skills = [skill.name for skill in profile.skills.all()] if profile else []
    offer_words = _words(profile.offers if profile else "") - OFFER_STOPWORDS
    mine = _answers_by(user)
    # Tuples, not models: 200 candidates are read, about ten kept (QuestionPick.question).
    candidates = (
        Post.objects.questions()
        .alive()
        .filter(
            group__in=Membership.objects.filter(user=user).values("group"),
            last_activity_at__gte=timezone.now() - QUESTION_WINDOW,
        )
        .exclude(author=user)
        .exclude(block_between_exists(user.pk, "author_id"))
        .exclude(Exists(mine.filter(question=OuterRef("pk"))))
        .annotate(
            excerpt=Substr("body", 1, 600),
            accepted_here=Exists(mine.filter(is_accepted=True, group=OuterRef("group"))),
        )
        .order_by(F("answer_count").asc(), "-last_activity_at", "-pk")
        .values_list(*CANDIDATE_FIELDS)[:QUESTION_CANDIDATES]
    )
    picks = []
    for row in candidates:
        candidate = dict(zip(CANDIDATE_FIELDS, row, strict=True))
        pick = QuestionPick(candidate)
        excerpt = candidate.pop("excerpt")  # matched here, never shown: not kept with the pick
        text = f"{candidate['title']}\n{excerpt}".lower()
        matched = [name for name in skills if _contains(text, name)]
        for name in matched[:2]:
            pick.reasons.append(_("matches your skill: %(skill)s") % {"skill": name})
        pick.score += 3 * len(matched)
        offered = sorted(w for w in offer_words if _contains(text, w))
        if offered:
            pick.reasons.append(_("matches what you offer: %(word)s") % {"word": offered[0]})
            pick.score += 2
        if candidate["accepted_here"]:
            pick.reasons.append(
                _("your answers were accepted in %(group)s") % {"group": candidate["group__name"]}
            )
            pick.score += 1
        if candidate["answer_count"] == 0:
            if not pick.reasons:
                pick.reasons.append(_("nobody has answered yet"))
        elif not pick.score:
            continue
        picks.append(pick)
    # Stable sort: matches first; among equals the query's order (unanswered, then active).
    picks.sort(key=lambda p: -p.score)
    return picks[:limit]


@dataclass
class ThreadEvent:
    kind: str  # "answer" or "comment"
    author_name: str
    question_title: str
    group_name: str
    url: str
    created_at: datetime


def _my_threads(user_id: int, groups):
    """The member's threads as a UNION (their questions, the threads they follow): each part
    starts from an index, where "author = me OR EXISTS(watch)" made PostgreSQL walk every
    answer by date (262 ms on the large data set, 3 ms so). And the groups they may read:
    `groups`, or by default Group.objects.readable_by() for a member who is not staff (their
    id alone: the query is compiled for any member)."""
    mine = Post.objects.questions().filter(author_id=user_id).values("pk")
    watched = ThreadWatch.objects.filter(user_id=user_id).values("question_id")
    if groups is None:
        groups = Group.objects.readable_by(User(pk=user_id))
    return mine, watched, groups


def _newest_by_others(rows, user_id: int, *fields, **columns):
    """The first ACTIVITY_SHOWN rows by someone else than the member, with no block between
    them, newest first, with their author's name columns (_author_name)."""
    return (
        rows.exclude(author_id=user_id)
        .exclude(block_between_exists(user_id, "author_id"))
        .order_by("-created_at", "-pk")
        .values(
            "pk",
            "created_at",
            *fields,
            author_display_name=F("author__display_name"),
            author_email=F("author__email"),
            **columns,
        )[:ACTIVITY_SHOWN]
    )


def _answers_on_my_threads(user_id: int, groups=None):
    mine, watched, groups = _my_threads(user_id, groups)
    answers = (
        Post.objects.answers().alive().filter(question__in=mine.union(watched), group__in=groups)
    )
    return _newest_by_others(
        answers,
        user_id,
        "question_id",
        thread_title=F("question__title"),
        group_name=F("group__name"),
        group_slug=F("group__slug"),
    )


def _comments_on_my_threads(user_id: int, groups=None):
    mine, watched, groups = _my_threads(user_id, groups)
    thread_posts = (
        Post.objects.filter(question__in=mine.union(watched)).values("pk").union(mine, watched)
    )
    comments = (
        Comment.objects.filter(
            deleted_at__isnull=True,
            post__deleted_at__isnull=True,
            post__group__in=groups,
        )
        .filter(post__in=thread_posts)
        .annotate(thread=Coalesce("post__question_id", "post_id"))
    )
    return _newest_by_others(
        comments,
        user_id,
        "post_id",
        "thread",
        thread_title=Subquery(Post.objects.filter(pk=OuterRef("thread")).values("title")[:1]),
        group_name=F("post__group__name"),
        group_slug=F("post__group__slug"),
    )


# Built once per process (config.compiled): building these two cost more than running them.
ANSWERS_ON_MY_THREADS = CompiledQuery(_answers_on_my_threads, "user")
COMMENTS_ON_MY_THREADS = CompiledQuery(_comments_on_my_threads, "user")


def _author_name(row: dict) -> str:
    """User.name from the row's author columns ("" for a deleted account)."""
    if row["author_email"] is None:
        return ""
    return User.name_from(row["author_display_name"], row["author_email"])


def activity_on_my_threads(user) -> list[ThreadEvent]:
    """Answers and comments by others on the member's questions and followed threads, newest
    first, from groups the member may read now (a thread of a closed group they left is out).
    Two queries, compiled once; staff, who may read every group, get them built each time."""
    if user.is_staff:
        groups = Group.objects.readable_by(user)
        answers = list(_answers_on_my_threads(user.pk, groups))
        comments = list(_comments_on_my_threads(user.pk, groups))
    else:
        answers = ANSWERS_ON_MY_THREADS.fetchall(user.pk)
        comments = COMMENTS_ON_MY_THREADS.fetchall(user.pk)
    events = [
        ThreadEvent(
            "answer",
            _author_name(answer),
            answer["thread_title"],
            answer["group_name"],
            f"{post_url('thread', answer['group_slug'], answer['question_id'])}"
            f"#post-{answer['pk']}",
            answer["created_at"],
        )
        for answer in answers
    ] + [
        ThreadEvent(
            "comment",
            _author_name(comment),
            comment["thread_title"],
            comment["group_name"],
            f"{post_url('thread', comment['group_slug'], comment['thread'])}"
            f"#post-{comment['post_id']}",
            comment["created_at"],
        )
        for comment in comments
    ]
    events.sort(key=lambda event: event.created_at, reverse=True)
    return events[:ACTIVITY_SHOWN]


def moderation_waiting(user) -> list[Membership]:
    """The member's moderated groups with join requests or reports waiting, each with
    `.group.pending_count` and `.open_reports`. One query."""
    # Reported things (not reports) waiting in the group's queue, the member's own aside:
    # the same rows as groups.models.reports.open_targets().
    scope = Concat(Value("group:"), Cast(OuterRef("group_id"), output_field=CharField()))
    thing = Concat("target_type", Value(":"), Cast("target_id", output_field=CharField()))
    open_reports = (
        Report.objects.open()
        .exclude(target_owner=user)
        .filter(scope=scope)
        .order_by()
        .values("scope")
        .annotate(n=Count(thing, distinct=True))
        .values("n")[:1]
    )
    return list(
        Membership.objects.filter(
            user=user, role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR]
        )
        .annotate(open_reports=Coalesce(Subquery(open_reports), 0))
        .filter(Q(group__pending_count__gt=0) | Q(open_reports__gt=0))
        .select_related("group")
        .order_by("group__name")
    )


EVENTS_NEAR_KM = 50


def upcoming_events(user, limit: int = 4) -> list[Event]:
    """Meetups for the home: upcoming events of the member's groups, and those of groups they
    may read within EVENTS_NEAR_KM of their place, soonest first, each with its distance when
    the member has a place. Two queries."""
    place = (
        Profile.objects.filter(user=user, public_latitude__isnull=False)
        .values_list("public_latitude", "public_longitude")
        .first()
    )
    mine = Exists(Membership.objects.filter(group=OuterRef("group"), user=user))
    events = Event.objects.readable_by(user).upcoming().select_related("group")
    if place is None:
        return list(events.filter(mine).order_by("starts_at", "pk")[:limit])
    events = events.annotate(distance_km=geo.distance_km(*place, "latitude", "longitude"))
    near = geo.bounding_box(*place, EVENTS_NEAR_KM, "latitude", "longitude") & Q(
        distance_km__lte=EVENTS_NEAR_KM
    )
    return list(events.filter(Q(mine) | near).order_by("starts_at", "pk")[:limit])

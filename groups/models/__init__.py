"""The groups layer, above profiles and below connections: groups and their members
(groups.py), moderation (moderation.py), Q&A (qa.py, qa_records.py) and meetups (events.py)."""

from groups.models.activity import GroupActivity, cached_most_active_members, most_active_members
from groups.models.events import CalendarFeed, Event, Rsvp
from groups.models.groups import (
    ACCEPTED_ANSWER_POINTS,
    ACTIVITY_DAYS,
    ANSWER_POINTS,
    QUESTION_POINTS,
    Group,
    GroupActionError,
    GroupQuerySet,
    Membership,
    Seat,
    Sector,
)
from groups.models.moderation import Ban, JoinRequest, ModerationLog
from groups.models.qa import (
    SEARCH_CAP,
    SEARCH_CONFIG,
    Answer,
    Post,
    PostQuerySet,
    Question,
    activity_shown_to,
    with_activity,
)
from groups.models.qa_records import Comment, PostRevision, ThreadWatch, Vote

__all__ = [
    "ACCEPTED_ANSWER_POINTS",
    "ACTIVITY_DAYS",
    "ANSWER_POINTS",
    "QUESTION_POINTS",
    "SEARCH_CAP",
    "SEARCH_CONFIG",
    "Answer",
    "Ban",
    "CalendarFeed",
    "Comment",
    "Event",
    "Group",
    "GroupActionError",
    "GroupActivity",
    "GroupQuerySet",
    "JoinRequest",
    "Membership",
    "ModerationLog",
    "Post",
    "PostQuerySet",
    "PostRevision",
    "Question",
    "Rsvp",
    "Seat",
    "Sector",
    "ThreadWatch",
    "Vote",
    "activity_shown_to",
    "cached_most_active_members",
    "most_active_members",
    "with_activity",
]

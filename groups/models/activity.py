"""Per-group activity, rolled up: what the group page's "most active members" reads.

Counting it live means summing every recent post of the group on each view (1.4 s on a group
of 5,000 members). Instead a periodic task (groups.tasks.roll_up_group_activity) stores each
member's points over the last ACTIVITY_DAYS days, and the page adds the posts written since
that roll-up, found through post_group_recent_idx. New posts count at once; an accept or a
deletion of an older post counts from the next roll-up.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone

from groups.models.groups import (
    ACCEPTED_ANSWER_POINTS,
    ACTIVITY_DAYS,
    ANSWER_POINTS,
    QUESTION_POINTS,
    Group,
)
from profiles.models import User

# Leaders looked up beyond `limit`, for those who left the group since the roll-up: the ranking
# is exact unless more than this many of the leaders left.
LEADERS_SLACK = 45
_POINTS_SQL = (
    f"CASE WHEN p.kind = 'answer' AND p.is_accepted THEN {ACCEPTED_ANSWER_POINTS} "
    f"WHEN p.kind = 'answer' THEN {ANSWER_POINTS} ELSE {QUESTION_POINTS} END"
)


class GroupActivity(models.Model):
    """One member's points in one group over the window ending at rolled_up_at."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    points = models.PositiveIntegerField(default=0)
    answers = models.PositiveIntegerField(default=0)
    rolled_up_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="groupactivity_unique"),
        ]
        indexes = [models.Index(fields=["group", "-points"], name="groupactivity_top_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id}: {self.points}"

    @classmethod
    def rebuild(cls, now=None) -> int:
        """Recompute every group's roll-up in one statement per step; returns the rows."""
        now = now or timezone.now()
        since = now - timedelta(days=ACTIVITY_DAYS)
        table = cls._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            # Our own table name and constants only; the values go as %s parameters.
            cursor.execute(f"DELETE FROM {table}")  # nosec B608  # noqa: S608
            cursor.execute(
                f"""
                INSERT INTO {table} (group_id, user_id, points, answers, rolled_up_at)
                SELECT p.group_id, p.author_id, SUM({_POINTS_SQL}),
                       COUNT(*) FILTER (WHERE p.kind = 'answer'), %s
                FROM groups_post p
                WHERE p.deleted_at IS NULL AND p.author_id IS NOT NULL
                  AND p.created_at >= %s AND p.created_at < %s
                GROUP BY p.group_id, p.author_id
                """,  # nosec B608  # noqa: S608
                [now, since, now],
            )
            return cursor.rowcount


def most_active_members(group: Group, limit: int = 5):
    """Current members ranked by helpfulness over the last ACTIVITY_DAYS days, in one query:
    the roll-up's leaders plus the posts written since it, never the whole roll-up. Each user
    carries activity_points and recent_answers, as Group.most_active_members() (the live twin)
    gives them."""
    since = timezone.now() - timedelta(days=ACTIVITY_DAYS)
    table = GroupActivity._meta.db_table
    # Without a roll-up for the group (new group, or no activity), the live part covers the
    # whole window; a group's roll-up rows all share one rolled_up_at.
    # Our own table names and constants only; the values go as %(name)s parameters.
    sql = f"""
        WITH mark AS (
            SELECT COALESCE(MAX(rolled_up_at), %(since)s) AS at FROM {table}
            WHERE group_id = %(group)s AND rolled_up_at >= %(since)s
        ), live AS (
            SELECT p.author_id AS user_id, SUM({_POINTS_SQL}) AS points,
                   COUNT(*) FILTER (WHERE p.kind = 'answer') AS answers
            FROM groups_post p, mark
            WHERE p.group_id = %(group)s AND p.deleted_at IS NULL
              AND p.author_id IS NOT NULL AND p.created_at >= mark.at
            GROUP BY p.author_id
        ), candidates AS (
            -- The roll-up's leaders, read from groupactivity_top_idx, and whoever posted
            -- since: nobody else can reach the top (at most `depth` members are ahead).
            SELECT user_id FROM (
                SELECT user_id FROM {table}
                WHERE group_id = %(group)s AND rolled_up_at >= %(since)s
                ORDER BY points DESC LIMIT %(depth)s
            ) leaders
            UNION
            SELECT user_id FROM live
        ), tally AS (
            SELECT c.user_id,
                   COALESCE(a.points, 0) + COALESCE(l.points, 0) AS points,
                   COALESCE(a.answers, 0) + COALESCE(l.answers, 0) AS answers
            FROM candidates c
            LEFT JOIN {table} a ON a.group_id = %(group)s AND a.user_id = c.user_id
                                AND a.rolled_up_at >= %(since)s
            LEFT JOIN live l ON l.user_id = c.user_id
        ), top AS (
            -- Join users and seats for the leaders only (ties at the cut included).
            SELECT * FROM tally WHERE points > 0 AND points >= COALESCE(
                (SELECT points FROM tally ORDER BY points DESC LIMIT 1 OFFSET %(depth)s), 0
            )
        )
        SELECT u.*, tally.points AS activity_points, tally.answers AS recent_answers
        FROM top AS tally
        JOIN {User._meta.db_table} u ON u.id = tally.user_id
        JOIN groups_membership m ON m.user_id = tally.user_id AND m.group_id = %(group)s
        WHERE tally.points > 0
        ORDER BY tally.points DESC, u.display_name, u.id
        LIMIT %(limit)s
    """  # nosec B608  # noqa: S608
    params = {"since": since, "group": group.pk, "limit": limit, "depth": limit + LEADERS_SLACK}
    return list(User.objects.raw(sql, params))


LEADERS_CACHE_SECONDS = 60


def cached_most_active_members(group: Group, limit: int = 5) -> list:
    """most_active_members() as every reader of the group page sees it, kept a minute in the
    (fail-open) cache: the same list for every reader, who the caller already let in. Only
    what the list shows is cached (id, name, email for the fallback name, points, answers),
    rebuilt as unsaved users: no password hash or anything else of the row leaves PostgreSQL."""
    key = f"group-leaders:{group.pk}:{limit}"
    rows = cache.get(key)
    if rows is None:
        rows = [
            (user.pk, user.display_name, user.email, user.activity_points, user.recent_answers)
            for user in most_active_members(group, limit)
        ]
        cache.set(key, rows, LEADERS_CACHE_SECONDS)
    leaders = []
    for pk, display_name, email, points, answers in rows:
        user = User(pk=pk, display_name=display_name, email=email)
        user.activity_points, user.recent_answers = points, answers
        leaders.append(user)
    return leaders

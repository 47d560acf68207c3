"""People you may know, reading side: the connection graph and the side data (groups, cities,
sectors, needs and offers, exclusions) loaded into numpy and scipy for the engine in
suggestions.py."""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from scipy import sparse

from connections.models import ConnectionRequest
from profiles.models import User

# Groups bigger than this don't generate candidates on their own (everyone would be
# everyone's candidate); they still count when both members share a smaller signal.
BIG_GROUP = 2000
WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
STOPWORDS = frozenset(
    [
        "alla",
        "alle",
        "allo",
        "anche",
        "come",
        "cosa",
        "dalla",
        "degli",
        "della",
        "delle",
        "dello",
        "nella",
        "nelle",
        "nello",
        "più",
        "sono",
        "sulla",
        "sulle",
        "questo",
        "questa",
        "quello",
        "quella",
        "tutti",
        "tutto",
        "essere",
        "fare",
        "with",
        "from",
        "that",
        "this",
        "have",
        "your",
        "about",
        "into",
    ]
)


# Texts kept (two per profile: needs and offers), about 55 MB at most: a refresh around a hub
# reads every profile, and a least-recently-used cache smaller than what one reading goes
# through would keep none of it.
WORDS_KEPT = 100_000


@functools.lru_cache(maxsize=WORDS_KEPT)
def words_of(text: str) -> tuple[str, ...]:
    """The distinct words of a needs or offers text, as the engine matches them. Kept per
    process: every refresh around a hub reads the same thousands of texts, and splitting
    them was half of a refresh's reading (py-spy, the load test)."""
    return tuple({word.lower() for word in WORD.findall(text)} - STOPWORDS)


def top_k() -> int:
    return settings.CONNECTIONS_SUGGESTIONS_PER_USER


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# Reading ----------------------------------------------------------------------------------

_PAIR_ROW = np.dtype([("n", ">i2"), ("l1", ">i4"), ("a", ">i8"), ("l2", ">i4"), ("b", ">i8")])


def _copy_pairs(sql: str) -> tuple[np.ndarray, np.ndarray]:
    """Two bigint columns of a query, read with a binary COPY (19-byte header, fixed-width
    rows, 2-byte trailer)."""
    buffer = bytearray()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy,
    ):
        for block in copy:
            buffer += block
    body = memoryview(buffer)[19:-2]
    rows = np.frombuffer(body, dtype=_PAIR_ROW)
    return rows["a"].astype(np.int64), rows["b"].astype(np.int64)


def packed_rows(
    sql: str, params: Sequence, columns: str, row: np.dtype, order: str = ""
) -> np.ndarray:
    """The rows of a query (PostgreSQL) as a numpy record array, sent as ONE bytea: each row
    packed with int8send/int4send (`columns`, matching the big-endian `row`) and joined by
    string_agg. One value instead of a wire message per row: 150,000 rows in tens of ms."""
    with connection.cursor() as cursor:
        # Only the caller's fixed SQL and %s placeholders, never a value.
        order_by = f" ORDER BY {order}" if order else ""
        cursor.execute(
            f"SELECT string_agg({columns}, ''::bytea{order_by}) FROM ({sql}) q",  # nosec B608
            params,
        )
        packed = cursor.fetchone()[0]
    return np.frombuffer(bytes(packed or b""), dtype=row)


_PACKED_PAIR = np.dtype([("a", ">i8"), ("b", ">i8")])


def _fetch_pairs(sql: str, params: Sequence = ()) -> tuple[np.ndarray, np.ndarray]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    array = np.asarray(rows, dtype=np.int64)
    return array[:, 0], array[:, 1]


def in_list(ids: np.ndarray) -> tuple[str, list]:
    """A WHERE fragment matching ids, for both backends."""
    if is_postgres():
        return "= ANY(%s)", [list(map(int, ids))]
    return f"IN ({','.join('%s' for _ in ids)})", list(map(int, ids))


def edges_touching(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(ids) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    parts_a, parts_b = [], []
    # SQLite caps bound parameters; chunk so both backends take the same path.
    for start in range(0, len(ids), 10000):
        chunk = ids[start : start + 10000]
        fragment, params = in_list(chunk)
        # Only in_list's %s placeholders are interpolated, never a value.
        sql = (
            "SELECT user_low_id, user_high_id FROM connections_connection "  # nosec B608
            f"WHERE user_low_id {fragment} UNION "
            "SELECT user_low_id, user_high_id FROM connections_connection "
            f"WHERE user_high_id {fragment}"
        )
        if is_postgres():
            pairs = packed_rows(
                sql, params + params, "int8send(user_low_id) || int8send(user_high_id)",
                _PACKED_PAIR,
            )  # fmt: skip
            a, b = pairs["a"].astype(np.int64), pairs["b"].astype(np.int64)
        else:
            a, b = _fetch_pairs(sql, params + params)
        parts_a.append(a)
        parts_b.append(b)
    low, high = np.concatenate(parts_a), np.concatenate(parts_b)
    return unique_pairs(low, high)


def unique_pairs(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each (low, high) pair once, sorted by low then high. Ids below 2**31 (all of them, in
    practice) are packed into one int64 key each: sorting keys is several times faster than
    np.unique over rows (axis=0), which compares each row as a record."""
    if not len(low):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    low, high = low.astype(np.int64), high.astype(np.int64)
    if min(low.min(), high.min()) >= 0 and max(low.max(), high.max()) < 2**31:
        keys = np.unique((low << 32) | high)
        return keys >> 32, keys & 0xFFFFFFFF
    pairs = np.unique(np.stack([low, high], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1]


@dataclass
class Graph:
    """Member ids (sorted) and the symmetric adjacency matrix over their indices."""

    ids: np.ndarray
    adjacency: sparse.csr_matrix

    def index_of(self, user_ids: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ids, user_ids)

    @classmethod
    def from_edges(cls, low: np.ndarray, high: np.ndarray, extra_ids=()) -> "Graph":
        ids = np.unique(np.concatenate([low, high, np.asarray(extra_ids, dtype=np.int64)]))
        n = len(ids)
        rows = np.searchsorted(ids, low)
        cols = np.searchsorted(ids, high)
        data = np.ones(2 * len(rows), dtype=np.int32)
        adjacency = sparse.csr_matrix(
            (data, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n)
        )
        adjacency.sum_duplicates()
        adjacency.data[:] = 1  # an edge read twice is still one edge
        return cls(ids=ids, adjacency=adjacency)


def all_user_ids() -> np.ndarray:
    return np.asarray(User.objects.values_list("pk", flat=True), dtype=np.int64)


def _ids_related_by(sql: str, user_ids: np.ndarray) -> np.ndarray:
    """The distinct ids `sql` returns for user_ids, in batches of 10,000. `sql` holds one
    "{ids}" (the batch's IN list) and one %s (BIG_GROUP), and no value of its own."""
    if not len(user_ids):
        return np.empty(0, dtype=np.int64)
    found = []
    for start in range(0, len(user_ids), 10000):
        fragment, params = in_list(user_ids[start : start + 10000])
        with connection.cursor() as cursor:
            # Only in_list's %s placeholders are interpolated, never a value.
            cursor.execute(sql.format(ids=fragment), params + [BIG_GROUP])
            found += [row[0] for row in cursor.fetchall()]
    return np.unique(np.asarray(found, dtype=np.int64))


def co_member_ids(user_ids: np.ndarray) -> np.ndarray:
    """Fellow members of the small groups of user_ids: candidates without mutual friends."""
    return _ids_related_by(
        "SELECT DISTINCT other.user_id FROM groups_membership mine "
        "JOIN groups_group g ON g.id = mine.group_id "
        "JOIN groups_membership other ON other.group_id = mine.group_id "
        "WHERE mine.user_id {ids} AND g.member_count <= %s",
        user_ids,
    )


def co_attendee_ids(user_ids: np.ndarray) -> np.ndarray:
    """Members marked present at a meetup with one of user_ids (an event of at most
    BIG_GROUP attendees): candidates without mutual friends, like co-members."""
    return _ids_related_by(
        "SELECT other.user_id FROM groups_rsvp mine "
        "JOIN groups_rsvp other ON other.event_id = mine.event_id "
        "AND other.attended_at IS NOT NULL "
        "WHERE mine.user_id {ids} AND mine.attended_at IS NOT NULL "
        "AND (SELECT COUNT(*) FROM groups_rsvp n WHERE n.event_id = mine.event_id "
        "AND n.attended_at IS NOT NULL) <= %s",
        user_ids,
    )


def load_full_graph(extra_ids=()) -> Graph:
    sql = "SELECT user_low_id, user_high_id FROM connections_connection"
    if is_postgres():
        low, high = _copy_pairs(
            "SELECT user_low_id::int8, user_high_id::int8 FROM connections_connection"
        )
    else:
        low, high = _fetch_pairs(sql)
    return Graph.from_edges(low, high, extra_ids)


def load_graph_around(user_ids: np.ndarray) -> Graph:
    """Just the edges needed for the two-hop counts of user_ids: theirs and their
    neighbours'. Every row for user_ids and their neighbours is complete."""
    low, high = edges_touching(user_ids)
    neighbours = np.setdiff1d(np.unique(np.concatenate([low, high])), user_ids)
    extra = np.concatenate([user_ids, co_member_ids(user_ids), co_attendee_ids(user_ids)])
    low2, high2 = edges_touching(neighbours)
    return Graph.from_edges(
        np.concatenate([low, low2]), np.concatenate([high, high2]), extra_ids=extra
    )


@dataclass
class SideData:
    """What the tie-breakers need, aligned with Graph.ids."""

    memberships: sparse.csr_matrix  # members × groups (small groups only)
    all_memberships: sparse.csr_matrix  # members × groups, for counting shared groups
    # The city others may see: 0 = unknown or shown as region only, so a hidden city never
    # moves anyone else's list (the order would reveal it).
    city: np.ndarray
    # The member's own city, whatever they show: it ranks only their own list, against
    # the cities others show.
    own_city: np.ndarray
    sector: np.ndarray  # 0 = unknown
    needs: sparse.csr_matrix  # members × words
    offers: sparse.csr_matrix
    inactive: np.ndarray  # bool
    # members × meetups they were marked present at, the columns in the order of the events'
    # start (then id), so the highest shared column is the most recent shared meetup.
    attended: sparse.csr_matrix
    attended_small: sparse.csr_matrix  # the same, only events of at most BIG_GROUP attendees
    event_ids: np.ndarray  # column → event id


def lookup_ids(ids: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of keys in ids, and which keys are there at all."""
    positions = np.searchsorted(ids, keys)
    positions = np.clip(positions, 0, max(len(ids) - 1, 0))
    found = ids[positions] == keys if len(ids) else np.zeros(len(keys), dtype=bool)
    return positions, found


def load_side_data(graph: Graph, full: bool) -> SideData:
    ids = graph.ids
    n = len(ids)
    # Filtering in SQL pays only while the id list is short (PostgreSQL: sending 20,000 ids
    # costs more than reading every row; SQLite: the statement must fit).
    full = full or n > 5000
    where, params = ("", []) if full else in_list(ids)

    def rows(sql_all: str, sql_some: str) -> list[tuple]:
        with connection.cursor() as cursor:
            if full:
                cursor.execute(sql_all)
            else:
                cursor.execute(sql_some.replace("{in}", where), params)
            return cursor.fetchall()

    seats = rows(
        "SELECT m.user_id, m.group_id, g.member_count FROM groups_membership m "
        "JOIN groups_group g ON g.id = m.group_id",
        "SELECT m.user_id, m.group_id, g.member_count FROM groups_membership m "
        "JOIN groups_group g ON g.id = m.group_id WHERE m.user_id {in}",
    )
    if seats:
        seat = np.asarray(seats, dtype=np.int64)
        positions, found = lookup_ids(ids, seat[:, 0])
        seat, positions = seat[found], positions[found]
        group_ids, group_cols = np.unique(seat[:, 1], return_inverse=True)
        shape = (n, len(group_ids))
        ones = np.ones(len(seat), dtype=np.int32)
        all_memberships = sparse.csr_matrix((ones, (positions, group_cols)), shape=shape)
        small = seat[:, 2] <= BIG_GROUP
        memberships = sparse.csr_matrix(
            (ones[small], (positions[small], group_cols[small])), shape=shape
        )
    else:
        all_memberships = memberships = sparse.csr_matrix((n, 1), dtype=np.int32)

    profiles = rows(
        "SELECT p.user_id, CASE WHEN p.location_visibility = 'city' "
        "THEN COALESCE(p.geoname_id, 0) ELSE 0 END, COALESCE(p.geoname_id, 0), "
        "COALESCE(p.sector_id, 0), p.needs, "
        "p.offers, u.is_active FROM profiles_profile p JOIN profiles_user u ON u.id = p.user_id",
        "SELECT p.user_id, CASE WHEN p.location_visibility = 'city' "
        "THEN COALESCE(p.geoname_id, 0) ELSE 0 END, COALESCE(p.geoname_id, 0), "
        "COALESCE(p.sector_id, 0), p.needs, "
        "p.offers, u.is_active FROM profiles_profile p JOIN profiles_user u ON u.id = p.user_id "
        "WHERE p.user_id {in}",
    )
    city = np.zeros(n, dtype=np.int64)
    own_city = np.zeros(n, dtype=np.int64)
    sector = np.zeros(n, dtype=np.int64)
    inactive = np.zeros(n, dtype=bool)
    vocabulary: dict[str, int] = {}
    need_rows, need_cols, offer_rows, offer_cols = [], [], [], []
    if profiles:
        keys = np.fromiter((row[0] for row in profiles), dtype=np.int64, count=len(profiles))
        positions, found = lookup_ids(ids, keys)
        for row, position, ok in zip(profiles, positions, found, strict=True):
            if not ok:
                continue
            _uid, geoname, own_geoname, sector_id, needs, offers, active = row
            city[position] = geoname
            own_city[position] = own_geoname
            sector[position] = sector_id
            inactive[position] = not active
            for text, out_rows, out_cols in (
                (needs, need_rows, need_cols),
                (offers, offer_rows, offer_cols),
            ):
                if not text:
                    continue
                for word in words_of(text):
                    out_rows.append(position)
                    out_cols.append(vocabulary.setdefault(word, len(vocabulary)))
    width = max(len(vocabulary), 1)

    def words(r, c):
        return sparse.csr_matrix(
            (np.ones(len(r), dtype=np.int32), (np.asarray(r, dtype=np.int64), c)),
            shape=(n, width),
        )

    attended, attended_small, event_ids = _load_attendance(ids, where, params)
    return SideData(
        attended=attended,
        attended_small=attended_small,
        event_ids=event_ids,
        memberships=memberships,
        all_memberships=all_memberships,
        city=city,
        own_city=own_city,
        sector=sector,
        needs=words(need_rows, np.asarray(need_cols, dtype=np.int64)),
        offers=words(offer_rows, np.asarray(offer_cols, dtype=np.int64)),
        inactive=inactive,
    )


def _load_attendance(ids: np.ndarray, where: str, params: list):
    """Who was marked present where (see SideData.attended), for the members in ids."""
    n = len(ids)
    sql = (
        "SELECT r.user_id, r.event_id, e.starts_at, (SELECT COUNT(*) FROM groups_rsvp c "
        "WHERE c.event_id = r.event_id AND c.attended_at IS NOT NULL) "
        "FROM groups_rsvp r JOIN groups_event e ON e.id = r.event_id "
        "WHERE r.attended_at IS NOT NULL"
    )
    with connection.cursor() as cursor:
        # Only in_list's %s placeholders are interpolated, never a value.
        cursor.execute(sql + (f" AND r.user_id {where}" if where else ""), params if where else [])  # nosec B608
        found = cursor.fetchall()
    if not found:
        empty = sparse.csr_matrix((n, 1), dtype=np.int32)
        return empty, empty, np.zeros(1, dtype=np.int64)
    # The order of the start, then the id (SQLite returns the start as ISO text, which sorts
    # as the time does; PostgreSQL a datetime).
    events = sorted({(start, event) for _u, event, start, _c in found})
    column = {event: i for i, (_start, event) in enumerate(events)}
    users = np.fromiter((row[0] for row in found), dtype=np.int64, count=len(found))
    positions, ok = lookup_ids(ids, users)
    cols = np.fromiter((column[row[1]] for row in found), dtype=np.int64, count=len(found))
    small = np.fromiter((row[3] <= BIG_GROUP for row in found), dtype=bool, count=len(found))
    shape = (n, len(events))

    def matrix(mask):
        keep = ok & mask
        ones = np.ones(int(keep.sum()), dtype=np.int32)
        return sparse.csr_matrix((ones, (positions[keep], cols[keep])), shape=shape)

    event_ids = np.asarray([event for _start, event in events], dtype=np.int64)
    return matrix(np.ones(len(found), dtype=bool)), matrix(small), event_ids


def shared_meetups(
    attended: sparse.csr_matrix, event_ids: np.ndarray, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each pair (left[i], right[i]) of side-data indices: how many meetups both were
    marked present at, and the id of the most recent (0 when none)."""
    count = np.zeros(len(left), dtype=np.int64)
    latest = np.zeros(len(left), dtype=np.int64)
    if not attended.nnz or not len(left):
        return count, latest
    both = attended[left].multiply(attended[right]).tocsr()
    both.eliminate_zeros()
    count = np.diff(both.indptr).astype(np.int64)
    some = count > 0
    if some.any():
        # Empty rows have no entries, so each reduction spans exactly one row's entries.
        highest = np.maximum.reduceat(both.indices, both.indptr[:-1][some])
        latest[some] = event_ids[highest]
    return count, latest


def load_exclusions(graph: Graph, user_ids: np.ndarray) -> sparse.csr_matrix:
    """Pairs never to suggest, from the point of view of user_ids: pending requests either
    way, dismissals, blocks either way. Existing connections and self come from the graph."""
    n = len(graph.ids)
    fragment, params = in_list(user_ids)
    open_statuses = [str(s) for s in ConnectionRequest.OPEN_STATUSES]
    status_in = ",".join("%s" for _ in open_statuses)
    with connection.cursor() as cursor:
        cursor.execute(
            # Only in_list's %s placeholders are interpolated, never a value.
            "SELECT sender_id, recipient_id FROM connections_connectionrequest "  # nosec B608
            f"WHERE status IN ({status_in}) AND (sender_id {fragment} OR recipient_id {fragment}) "
            "UNION ALL SELECT blocker_id, blocked_id FROM connections_block "
            f"WHERE blocker_id {fragment} OR blocked_id {fragment}",
            open_statuses + params * 4,
        )
        both_ways = cursor.fetchall()
        cursor.execute(
            # Only in_list's %s placeholders are interpolated, never a value.
            f"SELECT user_id, candidate_id FROM connections_dismissal WHERE user_id {fragment}",  # nosec B608
            params,
        )
        one_way = cursor.fetchall()
    rows, cols = [], []
    for a, b in both_ways:
        rows += [a, b]
        cols += [b, a]
    for a, b in one_way:
        rows.append(a)
        cols.append(b)
    if not rows:
        return sparse.csr_matrix((n, n), dtype=np.int32)
    r_pos, r_ok = lookup_ids(graph.ids, np.asarray(rows, dtype=np.int64))
    c_pos, c_ok = lookup_ids(graph.ids, np.asarray(cols, dtype=np.int64))
    keep = r_ok & c_ok
    return sparse.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int32), (r_pos[keep], c_pos[keep])), shape=(n, n)
    )

"""People you may know: the engine that computes and stores each member's top candidates.

Design (see the README): the connection graph is held in memory as a scipy sparse matrix A,
read with one binary COPY on PostgreSQL. Two-hop counts for a block of members are one
sparse product, A[block] @ A; exclusions are subtracted as a sparse mask, tie-breakers are
vectorised, and the top K per row are picked with one lexsort. Rows go back with a binary
COPY into the suggestions table, replacing each member's rows in the transaction that
deletes the old ones. A full recompute splits the members into id ranges, so it can be
spread over many Celery workers (each loads the graph once and does its range); a refresh
of a few members loads only the edges around them.
"""

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from scipy import sparse

from connections.models import (
    Block,
    ConnectionRequest,
    Dismissal,
    StaleSuggestions,
    Suggestion,
    connected_ids,
    lock_users,
    mark_stale,
    unclaim,
    wake_refresh,
)
from connections.suggestion_graph import (
    Graph,
    SideData,
    all_user_ids,
    co_attendee_ids,
    co_member_ids,
    edges_touching,
    in_list,
    is_postgres,
    load_exclusions,
    load_full_graph,
    load_graph_around,
    load_side_data,
    lookup_ids,
    packed_rows,
    shared_meetups,
    top_k,
)
from groups.models import Membership
from profiles.models import User

# Mutual counts at or above this share one histogram bucket (and go to the exact sort).
HISTOGRAM_CAP = 64
# Tie-breaker scores at or above this share one histogram bucket (and go to the exact sort).
TIE_BREAK_CAP = 128
BANNED = 1 << 30
BLOCK_ROWS = 4096
# A refresh of more members than this reads the whole graph instead of their surroundings.
FULL_GRAPH_ABOVE = 500

# Computing --------------------------------------------------------------------------------


@dataclass
class Rows:
    """Computed suggestions as parallel arrays (user ids, candidate ids, …)."""

    user: np.ndarray
    candidate: np.ndarray
    rank: np.ndarray
    mutual: np.ndarray
    shared_groups: np.ndarray
    same_city: np.ndarray
    same_sector: np.ndarray
    complementary: np.ndarray
    shared_events: np.ndarray
    latest_shared_event: np.ndarray

    @classmethod
    def concat(cls, parts: list["Rows"]) -> "Rows":
        if not parts:
            empty = np.empty(0, dtype=np.int64)
            return cls(*(empty for _ in cls._fields()))
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls._fields()))

    @staticmethod
    def _fields():
        return (
            "user",
            "candidate",
            "rank",
            "mutual",
            "shared_groups",
            "same_city",
            "same_sector",
            "complementary",
            "shared_events",
            "latest_shared_event",
        )

    def __len__(self) -> int:
        return len(self.user)

    def of_users(self, user_ids: np.ndarray) -> "Rows":
        """Only the rows of these members."""
        keep = np.isin(self.user, user_ids)
        return Rows(*(getattr(self, f)[keep] for f in self._fields()))


# A shared meetup outweighs any number of shared groups: the meetups sit above this bit.
SHARED_EVENT_SHIFT = 32


def tie_break_score(shared_events, shared, same_city, same_sector, complementary):
    """What decides between equal mutual counts (README, "the rules"): first the meetups
    both were marked present at (each outweighs everything below), then every shared group
    outweighs all the rest (8 points each, no cap), then the same city and the same sector
    (2 each), then complementary needs and offers (1)."""
    return (
        (np.asarray(shared_events, dtype=np.int64) << SHARED_EVENT_SHIFT)
        + np.asarray(shared, dtype=np.int64) * 8
        + (np.asarray(same_city, dtype=np.int64) + np.asarray(same_sector, dtype=np.int64)) * 2
        + np.asarray(complementary, dtype=np.int64)
    )


def split_at_threshold(
    row: np.ndarray, value: np.ndarray, need: np.ndarray, cap: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row, find the highest value t such that at least need[row] entries have a value
    >= t (a histogram per row, no sort). Returns the entries surely in (value > t, or every
    entry of a row that has fewer than it needs), the ties at t, and how many ties each row
    still needs. Values must lie in [0, cap)."""
    n_rows = len(need)
    histogram = np.bincount(row * cap + value, minlength=n_rows * cap).reshape(n_rows, cap)
    at_least = np.cumsum(histogram[:, ::-1], axis=1)[:, ::-1]
    reaches = at_least >= need[:, None]
    threshold = np.where(reaches.any(axis=1), cap - 1 - np.argmax(reaches[:, ::-1], axis=1), -1)
    at = threshold[row]
    sure = value > at
    tie = value == at
    still_needed = need - np.bincount(row[sure], minlength=n_rows)
    return sure, tie, still_needed


def first_per_row(row: np.ndarray, mask: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Indices of the first need[row] masked entries of each row, in array order."""
    index = np.flatnonzero(mask)
    rows = row[index]
    starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(need)))])
    position = np.arange(len(index)) - starts[rows]
    return index[position < need[rows]]


def compute_block(
    graph: Graph,
    side: SideData | None,
    exclusions: sparse.csr_matrix,
    block: np.ndarray,
    k: int,
) -> Rows:
    """Top-k candidates for the members at graph indices `block`.

    Ranking: mutual connections, then the tie-breakers, then the lower user id (the older
    account), so the same data always gives the same list, whichever graph it came from.
    The selection is linear: a histogram threshold on the mutual count, another on the
    tie-breakers within the remaining ties, then the first ties by id; only the at most k
    survivors per row are sorted.
    """
    adjacency = graph.adjacency
    rows = adjacency[block]
    # Twice the mutual count, plus one for a co-member of a small group or a co-attendee of
    # a meetup: one matrix holds every kind of candidate, and mutual = value // 2.
    candidates = (rows @ adjacency).tocsr()
    candidates.data *= 2
    if side is not None:
        met = [
            (seats[block] @ seats.T).tocsr()
            for seats in (side.memberships, side.attended_small)
            if seats.nnz
        ]
        if met:
            co_members = sum(met[1:], met[0]).tocsr()
            co_members.data = np.ones_like(co_members.data)
            candidates = (candidates + co_members).tocsr()
    # Self, existing connections and excluded pairs go negative, then are filtered out
    # with the zeros (one sparse addition, no elementwise product).
    n_block = len(block)
    own = sparse.csr_matrix(
        (np.ones(n_block, dtype=np.int32), (np.arange(n_block), block)), shape=candidates.shape
    )
    banned = (rows + own + exclusions[block]).tocsr()
    banned.data = np.full_like(banned.data, BANNED)
    candidates = (candidates - banned).tocsr()
    candidates.sort_indices()
    local_row = np.repeat(np.arange(n_block, dtype=np.int64), np.diff(candidates.indptr))
    keep = candidates.data > 0
    if side is not None:
        keep &= ~side.inactive[candidates.indices]
    local_row, col = local_row[keep], candidates.indices[keep].astype(np.int64)
    mutual = (candidates.data[keep] // 2).astype(np.int64)
    if not len(col):
        return Rows.concat([])

    need = np.full(n_block, k, dtype=np.int64)
    capped = np.minimum(mutual, HISTOGRAM_CAP - 1)
    sure, tie, need = split_at_threshold(local_row, capped, need, HISTOGRAM_CAP)
    # Counts past the cap share a bucket: send those ties to the exact sort.
    sure |= tie & (capped == HISTOGRAM_CAP - 1)
    tie &= capped < HISTOGRAM_CAP - 1
    hopeful = np.flatnonzero(sure | tie)
    local_row, col, mutual = local_row[hopeful], col[hopeful], mutual[hopeful]
    sure, tie = sure[hopeful], tie[hopeful]

    user_index = block[local_row]
    shared = np.zeros(len(col), dtype=np.int64)
    shared_events = latest_event = np.zeros(len(col), dtype=np.int64)
    same_city = same_sector = complementary = np.zeros(len(col), dtype=bool)
    if side is not None:
        shared_events, latest_event = shared_meetups(side.attended, side.event_ids, user_index, col)
        if side.all_memberships.nnz:
            seats = side.all_memberships
            shared = np.asarray(seats[user_index].multiply(seats[col]).sum(axis=1)).ravel()
        same_city = (side.own_city[user_index] == side.city[col]) & (side.city[col] != 0)
        same_sector = (side.sector[user_index] == side.sector[col]) & (side.sector[col] != 0)
        if side.needs.nnz and side.offers.nnz:
            they_help = side.needs[user_index].multiply(side.offers[col]).sum(axis=1)
            we_help = side.offers[user_index].multiply(side.needs[col]).sum(axis=1)
            complementary = (np.asarray(they_help).ravel() + np.asarray(we_help).ravel()) > 0
    tie_break = tie_break_score(shared_events, shared, same_city, same_sector, complementary)
    capped = np.minimum(np.where(tie, tie_break, 0), TIE_BREAK_CAP - 1)
    sure2, tie2, need = split_at_threshold(
        local_row, capped, np.where(need > 0, need, 0), TIE_BREAK_CAP
    )
    # As with the mutual counts: ties in the top bucket go to the exact sort (no cap on the
    # number of shared groups).
    sure2 |= tie2 & (capped == TIE_BREAK_CAP - 1)
    tie2 &= capped < TIE_BREAK_CAP - 1
    chosen = np.flatnonzero(sure | (tie & sure2))
    chosen = np.union1d(chosen, first_per_row(local_row, tie & tie2, need))
    order = chosen[
        np.lexsort((col[chosen], -tie_break[chosen], -mutual[chosen], local_row[chosen]))
    ]
    chosen_rows = local_row[order]
    position = np.arange(len(order)) - np.searchsorted(chosen_rows, chosen_rows, side="left")
    order, position = order[position < k], position[position < k]
    return Rows(
        user=graph.ids[user_index[order]],
        candidate=graph.ids[col[order]],
        rank=position + 1,
        mutual=mutual[order],
        shared_groups=shared[order].astype(np.int64),
        same_city=same_city[order].astype(bool),
        same_sector=same_sector[order].astype(bool),
        complementary=complementary[order].astype(bool),
        shared_events=shared_events[order].astype(np.int64),
        latest_shared_event=latest_event[order].astype(np.int64),
    )


def compute(graph: Graph, user_ids: np.ndarray, side: SideData | None) -> Rows:
    """Top-k rows for user_ids (members missing from the graph have no candidates)."""
    user_ids = np.asarray(user_ids, dtype=np.int64)
    indices, found = lookup_ids(graph.ids, user_ids)
    indices = indices[found]
    parts = []
    for start in range(0, len(indices), BLOCK_ROWS):
        block = indices[start : start + BLOCK_ROWS]
        exclusions = load_exclusions(graph, graph.ids[block])
        parts.append(compute_block(graph, side, exclusions, block, top_k()))
    return Rows.concat(parts)


# Writing ----------------------------------------------------------------------------------

_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SUGGESTION_COLUMNS = (
    "user_id",
    "candidate_id",
    "rank",
    "mutual_count",
    "shared_groups",
    "same_city",
    "same_sector",
    "complementary",
    "shared_events",
    "latest_shared_event_pk",
    "computed_at",
)
_SUGGESTION_ROW = np.dtype(
    [
        ("n", ">i2"),
        ("l_user", ">i4"),
        ("user", ">i8"),
        ("l_candidate", ">i4"),
        ("candidate", ">i8"),
        ("l_rank", ">i4"),
        ("rank", ">i2"),
        ("l_mutual", ">i4"),
        ("mutual", ">i4"),
        ("l_shared", ">i4"),
        ("shared", ">i4"),
        ("l_city", ">i4"),
        ("city", "u1"),
        ("l_sector", ">i4"),
        ("sector", "u1"),
        ("l_complement", ">i4"),
        ("complement", "u1"),
        ("l_events", ">i4"),
        ("events", ">i4"),
        ("l_latest", ">i4"),
        ("latest", ">i8"),
        ("l_at", ">i4"),
        ("at", ">i8"),
    ]
)


def _binary_copy_payload(rows: Rows, now: datetime) -> bytes:
    table = np.zeros(len(rows), dtype=_SUGGESTION_ROW)
    table["n"] = len(_SUGGESTION_COLUMNS)
    for length, field, values in (
        (8, "user", rows.user),
        (8, "candidate", rows.candidate),
        (2, "rank", rows.rank),
        (4, "mutual", rows.mutual),
        (4, "shared", rows.shared_groups),
        (1, "city", rows.same_city),
        (1, "sector", rows.same_sector),
        (1, "complement", rows.complementary),
        (4, "events", rows.shared_events),
        (8, "latest", rows.latest_shared_event),
    ):
        table[f"l_{field}"] = length
        table[field] = values
    table["l_at"] = 8
    table["at"] = int((now - _PG_EPOCH).total_seconds() * 1_000_000)
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    return header + table.tobytes() + struct.pack(">h", -1)


def write(user_ids: np.ndarray, rows: Rows, *, id_range: tuple[int, int] | None = None) -> int:
    """Replace the suggestions of user_ids with rows, atomically (call inside atomic())."""
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        if id_range is not None:
            cursor.execute(
                "DELETE FROM connections_suggestion WHERE user_id >= %s AND user_id < %s",
                list(id_range),
            )
        elif len(user_ids):
            for start in range(0, len(user_ids), 10000):
                fragment, params = in_list(user_ids[start : start + 10000])
                # Only in_list's %s placeholders are interpolated, never a value.
                delete = f"DELETE FROM connections_suggestion WHERE user_id {fragment}"  # nosec B608
                cursor.execute(delete, params)
    if not len(rows):
        return 0
    if is_postgres():
        columns = ", ".join(_SUGGESTION_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY connections_suggestion ({columns}) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.write(_binary_copy_payload(rows, now))
    else:
        Suggestion.objects.bulk_create(
            [
                Suggestion(
                    user_id=int(u),
                    candidate_id=int(c),
                    rank=int(r),
                    mutual_count=int(m),
                    shared_groups=int(s),
                    same_city=bool(ci),
                    same_sector=bool(se),
                    complementary=bool(co),
                    shared_events=int(ev),
                    latest_shared_event_pk=int(la),
                    computed_at=now,
                )
                for u, c, r, m, s, ci, se, co, ev, la in zip(
                    rows.user,
                    rows.candidate,
                    rows.rank,
                    rows.mutual,
                    rows.shared_groups,
                    rows.same_city,
                    rows.same_sector,
                    rows.complementary,
                    rows.shared_events,
                    rows.latest_shared_event,
                    strict=True,
                )
            ],
            batch_size=2000,
        )
    return len(rows)


# Entry points -----------------------------------------------------------------------------


def _compute_lists(ids: np.ndarray) -> Rows:
    if len(ids) > FULL_GRAPH_ABOVE:
        # A hub's connections reach most of the graph: one binary COPY of all of it is
        # cheaper than fetching their neighbourhoods.
        graph = load_full_graph(
            extra_ids=np.concatenate([ids, co_member_ids(ids), co_attendee_ids(ids)])
        )
        side = load_side_data(graph, full=True)
    else:
        graph = load_graph_around(ids)
        side = load_side_data(graph, full=False)
    return compute(graph, ids, side)


def refresh_for(user_ids: Iterable[int], *, finish_claim: str = "") -> int:
    """Recompute and store the suggestions of these members; returns rows written.

    With finish_claim (a worker's batch of claimed marks), the lists are computed before any
    lock is taken, and only the writing holds the members' locks: requests that lock the same
    members (a connection request, an accept) wait for a write, not for a computation (under
    the load test they waited a median of 260 ms, up to 1.5 s, behind a batch). A member whose
    mark lost its claim meanwhile (a new mark, unclaim()) is not written: what was computed
    for them may predate the change, and their mark stays for the next refresh. The marks
    still claimed are deleted in the same transaction as the new rows, so a crash before
    commit leaves them to be claimed again. Without finish_claim, the computation runs under
    the locks.
    """
    ids = np.unique(np.fromiter((int(pk) for pk in user_ids), dtype=np.int64))
    if not len(ids):
        return 0
    if not finish_claim:
        with transaction.atomic():
            lock_users(ids)
            return write(ids, _compute_lists(ids))
    rows = _compute_lists(ids)
    with transaction.atomic():
        lock_users(ids)
        claimed = StaleSuggestions.objects.select_for_update().filter(
            user_id__in=ids.tolist(), claimed_by=finish_claim
        )
        intact = np.asarray(sorted(claimed.values_list("user_id", flat=True)), dtype=np.int64)
        written = write(intact, rows.of_users(intact))
        StaleSuggestions.objects.filter(claimed_by=finish_claim).delete()
    if len(intact) < len(ids):
        wake_refresh()  # for the marks that lost their claim: their own wake-up may have run
    return written


def _pair_scores(candidate: int, viewers: np.ndarray) -> "PairScores":
    """For each viewer, the row candidate would have in their list now (or not eligible):
    the same rules as compute_block, for one column."""
    neighbours = np.fromiter(connected_ids(candidate), dtype=np.int64)
    # Either seed set gives every edge A[viewers] · A[candidate] needs (see the README).
    seeds = viewers if len(viewers) < len(neighbours) else neighbours
    low, high = edges_touching(np.unique(np.concatenate([seeds, [candidate]])))
    graph = Graph.from_edges(low, high, extra_ids=np.concatenate([viewers, [candidate]]))
    at, c = graph.index_of(viewers), int(graph.index_of(np.asarray([candidate]))[0])
    adjacency = graph.adjacency
    mutual = np.asarray((adjacency[at] @ adjacency[c].T).todense()).ravel()
    connected = np.asarray(adjacency[at, c].todense()).ravel() > 0
    side_ids = np.unique(np.concatenate([viewers, [candidate]]))
    side = load_side_data(Graph(ids=side_ids, adjacency=None), full=False)
    sat, sc = np.searchsorted(side_ids, viewers), int(np.searchsorted(side_ids, candidate))

    def column(left, right) -> np.ndarray:
        return np.asarray((left[sat] @ right[sc].T).todense()).ravel()

    co_member = column(side.memberships, side.memberships)
    shared = column(side.all_memberships, side.all_memberships)
    same_city = (side.own_city[sat] == side.city[sc]) & (side.city[sc] != 0)
    same_sector = (side.sector[sat] == side.sector[sc]) & (side.sector[sc] != 0)
    complementary = (column(side.needs, side.offers) + column(side.offers, side.needs)) > 0
    co_member = co_member + column(side.attended_small, side.attended_small)
    shared_events, latest_event = shared_meetups(
        side.attended, side.event_ids, sat, np.full(len(sat), sc)
    )
    excluded = np.isin(viewers, np.fromiter(excluded_viewers(candidate, viewers), np.int64))
    eligible = ~connected & ~excluded & ((mutual > 0) | (co_member > 0)) & ~side.inactive[sc]
    return PairScores(
        eligible, mutual.astype(np.int64), shared.astype(np.int64), same_city, same_sector,
        complementary, shared_events, latest_event,
    )  # fmt: skip


@dataclass
class PairScores:
    """One candidate's row in each viewer's list, as parallel arrays aligned with viewers."""

    eligible: np.ndarray
    mutual: np.ndarray
    shared: np.ndarray
    same_city: np.ndarray
    same_sector: np.ndarray
    complementary: np.ndarray
    shared_events: np.ndarray
    latest_event: np.ndarray

    def row(self, i: int) -> tuple | None:
        if not self.eligible[i]:
            return None
        return (
            int(self.mutual[i]), int(self.shared[i]), bool(self.same_city[i]),
            bool(self.same_sector[i]), bool(self.complementary[i]),
            int(self.shared_events[i]), int(self.latest_event[i]),
        )  # fmt: skip


def excluded_viewers(candidate: int, viewers: np.ndarray) -> set[int]:
    """Viewers for whom candidate is excluded: an open request or a block either way, or
    their dismissal of candidate."""
    found = set()
    for sender, recipient in (
        ConnectionRequest.objects.pending()
        .filter(Q(sender_id=candidate) | Q(recipient_id=candidate))
        .values_list("sender_id", "recipient_id")
    ):
        found |= {sender, recipient}
    for blocker, blocked in Block.objects.filter(
        Q(blocker_id=candidate) | Q(blocked_id=candidate)
    ).values_list("blocker_id", "blocked_id"):
        found |= {blocker, blocked}
    found |= set(Dismissal.objects.filter(candidate_id=candidate).values_list("user_id", flat=True))
    return found & set(viewers.tolist())


def rescore_candidate(candidate: int, viewers: Iterable[int]) -> tuple[int, int]:
    """Only the pair (viewer, candidate) changed for these viewers (a connection of the
    candidate's appeared or went): rescore that one pair and merge it into each stored
    list, instead of recomputing thousands of lists. A list whose new last place cannot be
    known without the candidates beyond it is marked stale instead. Returns (lists
    rewritten, lists marked)."""
    viewers = np.unique(np.fromiter((int(v) for v in viewers), dtype=np.int64))
    viewers = viewers[viewers != candidate]
    if not len(viewers):
        return 0, 0
    k = top_k()
    with transaction.atomic():
        lock_users(viewers)
        # A refresh computing one of these lists now read the pair as it was: it must not
        # write over the lists merged here (refresh_for).
        unclaim(viewers.tolist())
        scores = _pair_scores(candidate, viewers)
        stored = _stored_lists(viewers)
        # Only lists that hold the candidate, are not full, or whose last row the candidate
        # now beats can change: found with array operations, merged one by one.
        at = np.searchsorted(viewers, stored["user"])
        count = np.bincount(at, minlength=len(viewers))
        holds = np.bincount(at[stored["candidate"] == candidate], minlength=len(viewers)) > 0
        last = np.flatnonzero(np.diff(np.append(at, len(viewers))) != 0)
        last_mutual = np.full(len(viewers), -1, dtype=np.int64)
        last_tie = np.zeros(len(viewers), dtype=np.int64)
        last_id = np.zeros(len(viewers), dtype=np.int64)
        last_mutual[at[last]] = stored["mutual"][last]
        last_tie[at[last]] = tie_break_score(
            stored["events"][last], stored["shared"][last], stored["city"][last],
            stored["sector"][last], stored["complement"][last],
        )  # fmt: skip
        last_id[at[last]] = stored["candidate"][last]
        new_tie = tie_break_score(
            scores.shared_events, scores.shared, scores.same_city, scores.same_sector,
            scores.complementary,
        )  # fmt: skip
        beats_last = (scores.mutual > last_mutual) | (
            (scores.mutual == last_mutual)
            & ((new_tie > last_tie) | ((new_tie == last_tie) & (candidate < last_id)))
        )
        maybe = holds | (scores.eligible & ((count < k) | beats_last))
        starts = np.concatenate([[0], np.cumsum(count)])
        changed: dict[int, list[tuple]] = {}
        unknown = []
        for i in np.flatnonzero(maybe).tolist():
            part = slice(starts[i], starts[i + 1])
            rows = list(zip(
                stored["candidate"][part].tolist(), stored["mutual"][part].tolist(),
                stored["shared"][part].tolist(), stored["city"][part].astype(bool).tolist(),
                stored["sector"][part].astype(bool).tolist(),
                stored["complement"][part].astype(bool).tolist(),
                stored["events"][part].tolist(), stored["latest"][part].tolist(), strict=True,
            ))  # fmt: skip
            merged = merge_one(rows, candidate, scores.row(i), k)
            if merged is None:
                unknown.append(int(viewers[i]))
            elif merged != rows:
                changed[int(viewers[i])] = merged
        if changed:
            ids = np.asarray(sorted(changed), dtype=np.int64)
            flat = [(v, rank, *row) for v in ids.tolist()
                    for rank, row in enumerate(changed[v], start=1)]  # fmt: skip
            # Columns of the new rows (none when every changed list became empty).
            columns = [np.asarray(c) for c in zip(*flat, strict=True)] or [np.empty(0)] * 10
            user, rank, cand, mutual, shared, city, sector, complement, events, latest = columns
            write(
                ids,
                Rows(
                    user=user.astype(np.int64),
                    candidate=cand.astype(np.int64),
                    rank=rank.astype(np.int64),
                    mutual=mutual.astype(np.int64),
                    shared_groups=shared.astype(np.int64),
                    same_city=city.astype(bool),
                    same_sector=sector.astype(bool),
                    complementary=complement.astype(bool),
                    shared_events=events.astype(np.int64),
                    latest_shared_event=latest.astype(np.int64),
                ),
            )
        if unknown:
            mark_stale(*unknown)
    return len(changed), len(unknown)


_STORED_ROW = np.dtype(
    [("user", ">i8"), ("candidate", ">i8"), ("mutual", ">i4"), ("shared", ">i4"),
     ("flags", ">i4"), ("events", ">i4"), ("latest", ">i8")]
)  # fmt: skip
_STORED_PACKED = (
    "int8send(user_id) || int8send(candidate_id) || int4send(mutual_count::int4) || "
    "int4send(shared_groups::int4) || int4send(same_city::int4 + 2 * same_sector::int4 "
    "+ 4 * complementary::int4) || int4send(shared_events::int4) || "
    "int8send(latest_shared_event_pk::int8)"
)


def _stored_lists(viewers: np.ndarray) -> dict[str, np.ndarray]:
    """The viewers' stored rows, ordered by viewer and rank, as arrays (on PostgreSQL packed
    in one value: a hub's 5,000 connections hold 150,000 rows)."""
    names = (
        "user", "candidate", "mutual", "shared", "city", "sector", "complement", "events",
        "latest",
    )  # fmt: skip
    parts = []
    for start in range(0, len(viewers), 10000):
        fragment, params = in_list(viewers[start : start + 10000])
        # Only in_list's %s placeholders are interpolated, never a value.
        sql = (
            "SELECT user_id, candidate_id, mutual_count, shared_groups, same_city, "  # nosec B608
            "same_sector, complementary, shared_events, latest_shared_event_pk, rank "
            "FROM connections_suggestion "
            f"WHERE user_id {fragment} ORDER BY user_id, rank"
        )
        if is_postgres():
            table = packed_rows(sql, params, _STORED_PACKED, _STORED_ROW, "user_id, rank")
            flags = table["flags"].astype(np.int64)
            parts.append(
                {
                    "user": table["user"].astype(np.int64),
                    "candidate": table["candidate"].astype(np.int64),
                    "mutual": table["mutual"].astype(np.int64),
                    "shared": table["shared"].astype(np.int64),
                    "city": flags & 1,
                    "sector": (flags >> 1) & 1,
                    "complement": (flags >> 2) & 1,
                    "events": table["events"].astype(np.int64),
                    "latest": table["latest"].astype(np.int64),
                }
            )
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                table = np.asarray(cursor.fetchall(), dtype=np.int64).reshape(-1, len(names) + 1)
            parts.append({name: table[:, i] for i, name in enumerate(names)})
    return {name: np.concatenate([p[name] for p in parts]) for name in names}


def _rank_key(row: tuple) -> tuple:
    candidate, mutual, shared, same_city, same_sector, complementary, events, _latest = row
    tie_break = int(tie_break_score(events, shared, same_city, same_sector, complementary))
    return (-mutual, -tie_break, candidate)


def merge_one(rows: list[tuple], candidate: int, score: tuple | None, k: int):
    """A viewer's stored list (rows of candidate, mutual, shared, city, sector, complementary,
    shared meetups, latest shared meetup, in rank order) with candidate's row replaced by
    score (None: no longer a candidate). None when the result cannot be known from the list
    alone: it was full and the candidate left it or fell past its last place, so someone not
    stored may belong in it now."""
    others = [row for row in rows if row[0] != candidate]
    held = len(others) < len(rows)
    new = None if score is None else (candidate, *score)
    if len(rows) < k:
        # A list that is not full holds every candidate the viewer has.
        return sorted(others + ([new] if new else []), key=_rank_key)
    last = _rank_key(rows[-1])
    if new is not None and (_rank_key(new) < last or (held and rows[-1][0] == candidate
                                                       and _rank_key(new) == last)):  # fmt: skip
        return sorted([*others, new], key=_rank_key)[:k]
    return None if held else rows


def user_id_ranges(size: int) -> list[tuple[int, int]]:
    """[lo, hi) ranges of user ids with about `size` members each, covering every id."""
    ids = np.asarray(User.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64)
    if not len(ids):
        return []
    edges = [int(pk) for pk in ids[::size]] + [int(ids[-1]) + 1]
    edges[0] = 0
    return list(zip(edges[:-1], edges[1:], strict=True))


def _ids_in_range(lo: int, hi: int) -> np.ndarray:
    ids = User.objects.filter(pk__gte=lo, pk__lt=hi).order_by("pk").values_list("pk", flat=True)
    return np.asarray(ids, dtype=np.int64)


def recompute_range(
    lo: int, hi: int, *, graph: Graph | None = None, side: SideData | None = None
) -> int:
    """Recompute members with lo <= id < hi and replace their rows in one transaction.

    A Celery worker calls it alone and loads what it needs; recompute_all passes the graph
    and side data it loaded once.
    """
    with transaction.atomic():
        ids = _ids_in_range(lo, hi)
        lock_users(ids)
        if graph is None:
            graph = load_full_graph(extra_ids=all_user_ids())
            side = load_side_data(graph, full=True)
        rows = compute(graph, ids, side)
        return write(ids, rows, id_range=(lo, hi))


def recompute_all(range_size: int = 20000, progress=None, *, with_side: bool = True) -> int:
    """Recompute everyone in this process, range by range (the management command and the
    benchmark; the beat task spreads the ranges over workers instead)."""
    graph = load_full_graph(extra_ids=all_user_ids())
    side = load_side_data(graph, full=True) if with_side else None
    written = 0
    for lo, hi in user_id_ranges(range_size):
        written += recompute_range(lo, hi, graph=graph, side=side)
        if progress is not None:
            progress(lo, hi)
    return written


# Read helpers -----------------------------------------------------------------------------


def dismiss(user, candidate_id: int) -> None:
    """Never suggest candidate_id to user again: the row goes at once (the spare rows move
    up), and the worker refills the list."""
    with transaction.atomic():
        Dismissal.objects.get_or_create(user=user, candidate_id=candidate_id)
        if Suggestion.drop(user.pk, candidate_id):
            mark_stale(user.pk)


# Who a change around one member concerns --------------------------------------------------


def lists_a_candidate_change_can_move(user_id: int, group_id: int | None = None) -> np.ndarray:
    """Members whose stored list may change because something others rank user_id by
    changed (their profile; or, with group_id, their seat in that group).

    Exactly those who could rank user_id at all: members two hops away and co-members of
    small groups (restricted to the group's members for a seat), each kept only if user_id
    is in their list now, or could enter it: the list is not full, or user_id's mutual count
    with them reaches the count of their last row (mutual connections rank first, so a lower
    count can never enter). A seat in a big group only changes shared-group counts, so its
    members who are not two hops away are not candidates either way.
    """
    k = top_k()
    graph = load_graph_around(np.asarray([user_id], dtype=np.int64))
    index = int(np.searchsorted(graph.ids, user_id))
    two_hop = (graph.adjacency[index] @ graph.adjacency).tocsr()
    mutual = dict(zip(graph.ids[two_hop.indices].tolist(), two_hop.data.tolist(), strict=True))
    around = np.asarray([user_id])
    potential = set(mutual) | set(co_member_ids(around).tolist())
    potential |= set(co_attendee_ids(around).tolist())
    neighbours = graph.ids[graph.adjacency[index].indices].tolist()
    potential -= {user_id, *neighbours}
    holders = Suggestion.objects.filter(candidate_id=user_id)
    if group_id is not None:
        members = set(
            Membership.objects.filter(group_id=group_id).values_list("user_id", flat=True)
        )
        potential &= members
        holders = holders.filter(user_id__in=members)
    chosen = set(holders.values_list("user_id", flat=True))
    candidates = np.asarray(sorted(potential - chosen), dtype=np.int64)
    full = {}
    for start in range(0, len(candidates), 10000):
        chunk = candidates[start : start + 10000].tolist()
        full.update(
            (row["user_id"], row["lowest"])
            for row in Suggestion.objects.filter(user_id__in=chunk)
            .values("user_id")
            .annotate(rows=Count("pk"), lowest=Min("mutual_count"))
            .filter(rows__gte=k)
        )
    for pk in candidates.tolist():
        if pk not in full or mutual.get(pk, 0) >= full[pk]:
            chosen.add(pk)
    return np.asarray(sorted(chosen), dtype=np.int64)

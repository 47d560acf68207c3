"""Benchmark of "people you may know" on PostgreSQL and Redis (`make bench-suggestions`).

    .venv/bin/python -m bench.suggestions [--sizes 10000,100000] [--kinds community,pa]

For each size and graph kind (bench/graphs.py, fixed seed, average degree 20), in
fresh subprocesses so each peak memory is its own:
  1. load:       generate the graph; TRUNCATE; COPY users, profiles and connections.
  2. recompute:  connections.suggestions.recompute_all(), end to end (binary COPY in,
                 sparse compute, binary COPY out), with the read/compute/write split.
  3. reference:  the floor, top-K by mutual count with scipy `A @ A` on the in-memory graph
                 (self and existing connections excluded, top-K per row by one sort), and
                 the check that the stored top-K mutual counts equal it for sampled users.
Then, on the last (largest) preferential-attachment graph, with a real Celery worker on
Redis (2 processes): latency from accepting a connection request to refreshed suggestions,
for ordinary members and for a hub with 5,000 connections.

Wipes the database it is pointed at, and so refuses one not named gilda_bench* (the Makefile
uses gilda_bench_conn, and Redis db 6).
"""

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy import sparse

from bench import setup_django
from bench.seed_large import text_defaults

ROOT = Path(__file__).resolve().parents[1]
RESULT = "BENCH-RESULT "
SEED = 2026


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def graph_seed(kind: str, n: int) -> int:
    return SEED + n + (0 if kind == "community" else 1)


# 1. Load ---------------------------------------------------------------------------------

TRUNCATE = (
    "TRUNCATE profiles_user, profiles_profile, connections_connection, "
    "connections_connectionrequest, connections_suggestion, connections_stalesuggestions, "
    "connections_dismissal, connections_block RESTART IDENTITY CASCADE"
)


def _binary_pairs(low: np.ndarray, high: np.ndarray, created_us: int) -> bytes:
    row = np.dtype(
        [
            ("n", ">i2"),
            ("l1", ">i4"),
            ("a", ">i8"),
            ("l2", ">i4"),
            ("b", ">i8"),
            ("l3", ">i4"),
            ("t", ">i8"),
        ]
    )
    table = np.zeros(len(low), dtype=row)
    table["n"] = 3
    table["l1"] = table["l2"] = table["l3"] = 8
    table["a"], table["b"], table["t"] = low, high, created_us
    header = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
    return header + table.tobytes() + b"\xff\xff"


def _pg_micros(moment: datetime) -> int:
    return int((moment - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)


def load(kind: str, n: int, edges_file: str) -> dict:
    from django.db import connection

    from bench.graphs import generate

    started = time.perf_counter()
    low, high = generate(kind, n, seed=graph_seed(kind, n))
    generated = time.perf_counter() - started
    np.savez(edges_file, low=low, high=high, n=n)
    now = datetime.now(UTC)
    stamp = now.isoformat()
    started = time.perf_counter()
    user_columns = ("id", "password", "is_superuser", "is_staff", "is_active", "date_joined",
                    "email", "display_name", "language")  # fmt: skip
    profile_columns = ("user_id", "headline", "bio", "city", "region", "country",
                       "location_visibility", "connections_visibility", "needs", "offers",
                       "open_to", "created_at", "updated_at", "avatar", "bio_html",
                       "linkedin_url", "website")  # fmt: skip
    # Columns added to the models since, with their defaults (a suspension reason…).
    user_extra, user_tail = text_defaults("profiles_user", user_columns)
    profile_extra, profile_tail = text_defaults("profiles_profile", profile_columns)
    users = "".join(
        f"{i}\t!\tf\tf\tt\t{stamp}\tbench{i}@bench.gilda.test\tBench {i}\tit{user_tail}\n"
        for i in range(1, n + 1)
    )
    profiles = "".join(
        f"{i}\t\t\t\t\t\tcity\tmembers\t\t\t\t{stamp}\t{stamp}\t\t\t\t{profile_tail}\n"
        for i in range(1, n + 1)
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(TRUNCATE)
        # The RI triggers would check 2 million foreign keys one by one: the data is
        # generated consistent, so load as a replica (superuser) and check in bulk below.
        raw.execute("SET session_replication_role = replica")
        with raw.copy(
            f"COPY profiles_user ({', '.join(user_columns)}{user_extra}) FROM STDIN"
        ) as copy:
            copy.write(users)
        with raw.copy(
            f"COPY profiles_profile ({', '.join(profile_columns)}{profile_extra}) FROM STDIN"
        ) as copy:
            copy.write(profiles)
        with raw.copy(
            "COPY connections_connection (user_low_id, user_high_id, created_at) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(_binary_pairs(low + 1, high + 1, _pg_micros(now)))
        raw.execute("SET session_replication_role = DEFAULT")
        raw.execute("SELECT setval(pg_get_serial_sequence('profiles_user', 'id'), %s)", [n])
        raw.execute(
            "SELECT count(*) FROM connections_connection c LEFT JOIN profiles_user u "
            "ON u.id = c.user_high_id WHERE u.id IS NULL"
        )
        assert raw.fetchone()[0] == 0
        raw.execute("ANALYZE profiles_user, profiles_profile, connections_connection")
    loaded = time.perf_counter() - started
    degree = np.bincount(np.concatenate([low, high]), minlength=n)
    return {
        "kind": kind,
        "n": n,
        "edges": int(len(low)),
        "max_degree": int(degree.max()),
        "median_degree": float(np.median(degree)),
        "generate_s": generated,
        "load_s": loaded,
    }


# 2. Our full recompute -----------------------------------------------------------------------


def recompute() -> dict:
    from connections import suggestions
    from connections.models import Suggestion

    spent = {"read": 0.0, "compute": 0.0, "write": 0.0}

    def timed(phase, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[phase] += time.perf_counter() - started

        return wrapper

    # Timers wrapped around the engine's own steps, from outside; behaviour unchanged.
    for name, phase in (
        ("load_full_graph", "read"),
        ("load_side_data", "read"),
        ("all_user_ids", "read"),
        ("_ids_in_range", "read"),
        ("user_id_ranges", "read"),
        ("compute", "compute"),
        ("write", "write"),
    ):
        setattr(suggestions, name, timed(phase, getattr(suggestions, name)))
    started = time.perf_counter()
    written = suggestions.recompute_all()
    total = time.perf_counter() - started
    assert Suggestion.objects.count() == written
    return {
        "recompute_s": total,
        "rows": written,
        **{f"{phase}_s": seconds for phase, seconds in spent.items()},
        "recompute_peak_mb": peak_mb(),
    }


# 3. The scipy floor and the sample check -----------------------------------------------------


def reference_top_k(
    low: np.ndarray, high: np.ndarray, n: int, k: int, block: int = 4096, keep_rows=()
) -> dict[int, list[int]]:
    """Top-k mutual counts for every node (A @ A minus self and neighbours, one packed sort
    per block of rows); returns the sorted counts of the nodes in keep_rows."""
    ones = np.ones(2 * len(low), dtype=np.int32)
    adjacency = sparse.csr_matrix(
        (ones, (np.concatenate([low, high]), np.concatenate([high, low]))), shape=(n, n)
    )
    keep_rows = np.asarray(sorted(keep_rows), dtype=np.int64)
    kept: dict[int, list[int]] = {}
    big = np.int32(1 << 30)
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = adjacency[start:stop]
        size = stop - start
        own = sparse.csr_matrix(
            (np.ones(size, dtype=np.int32), (np.arange(size), np.arange(start, stop))),
            shape=(size, n),
        )
        # Self and neighbours pushed negative, then dropped.
        two_hop = (rows @ adjacency - (rows + own) * big).tocsr()
        positive = two_hop.data > 0
        local = np.repeat(np.arange(size, dtype=np.int64), np.diff(two_hop.indptr))[positive]
        # Row, then count descending, then column: one int64 sort gives every row's top k.
        keys = local << 42
        keys |= ((1 << 21) - 1 - two_hop.data[positive].astype(np.int64)) << 21
        keys |= two_hop.indices[positive]
        keys.sort()
        per_row = np.bincount(local, minlength=size)
        starts = np.cumsum(per_row) - per_row
        rank = np.arange(len(keys)) - np.repeat(starts, per_row)
        top = keys[rank < k]
        top_rows = top >> 42
        top_counts = (1 << 21) - 1 - ((top >> 21) & ((1 << 21) - 1))
        wanted = keep_rows[(keep_rows >= start) & (keep_rows < stop)]
        for node in wanted:
            mask = top_rows == node - start
            kept[int(node)] = sorted(top_counts[mask].tolist(), reverse=True)
    return kept


def reference(edges_file: str, sample: int) -> dict:
    from django.conf import settings

    from connections.models import Suggestion

    data = np.load(edges_file)
    low, high, n = data["low"], data["high"], int(data["n"])
    k = settings.CONNECTIONS_SUGGESTIONS_PER_USER
    rng = np.random.default_rng(SEED)
    chosen = rng.choice(n, size=min(sample, n), replace=False)
    started = time.perf_counter()
    expected = reference_top_k(low, high, n, k, keep_rows=chosen)
    elapsed = time.perf_counter() - started
    stored: dict[int, list[int]] = {int(node): [] for node in chosen}
    for user_id, mutual in (
        Suggestion.objects.filter(user_id__in=[int(c) + 1 for c in chosen])
        .order_by("user_id", "rank")
        .values_list("user_id", "mutual_count")
    ):
        stored[user_id - 1].append(mutual)
    mismatched = [
        node for node in stored if sorted(stored[node], reverse=True) != expected.get(node, [])
    ]
    return {
        "reference_s": elapsed,
        "reference_peak_mb": peak_mb(),
        "sample": len(chosen),
        "sample_mismatches": len(mismatched),
        "mismatch_examples": [
            {"user": node + 1, "stored": stored[node], "reference": expected.get(node, [])}
            for node in mismatched[:3]
        ],
    }


# 4. Refresh latency with a real worker ----------------------------------------------------------


def _neighbours(low, high, n):
    ones = np.ones(2 * len(low), dtype=np.int8)
    return sparse.csr_matrix(
        (ones, (np.concatenate([low, high]), np.concatenate([high, low]))), shape=(n, n)
    )


def _wait_refreshed(users: list[int], pair: tuple[int, int], since: datetime, timeout: float):
    """Poll until the worker is done with the accept: no stale marks and no open intent of
    the connections layer left, both ends have fresh rows and neither is suggested to the
    other. (Lists the rescore leaves unchanged are not rewritten, so their rows keep their
    time.) Returns the moment, or None on timeout."""
    from django.db.models import Q

    from connections.models import StaleSuggestions, Suggestion
    from profiles.models import OutboxTask

    a, b = pair
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        busy = (
            StaleSuggestions.objects.exists()
            or OutboxTask.objects.filter(
                name__startswith="connections.", state__in=["pending", "running"]
            ).exists()
        )
        if not busy:
            fresh = (
                Suggestion.objects.filter(user_id__in=pair, computed_at__gte=since)
                .values("user_id")
                .distinct()
                .count()
            )
            each_other = Suggestion.objects.filter(
                Q(user_id=a, candidate_id=b) | Q(user_id=b, candidate_id=a)
            ).exists()
            if fresh == 2 and not each_other:
                return time.perf_counter()
        time.sleep(0.005)
    return None


def _trial(sender_id: int, recipient_id: int, timeout: float) -> dict:
    from django.db import transaction

    from connections.models import ConnectionRequest, connected_ids
    from profiles.models import User

    sender, recipient = User.objects.get(pk=sender_id), User.objects.get(pk=recipient_id)
    request = ConnectionRequest.objects.create(
        sender=sender, recipient=recipient, message="Ci siamo conosciuti nel gruppo"
    )
    affected = sorted(
        {sender_id, recipient_id} | connected_ids(sender_id) | connected_ids(recipient_id)
    )
    since = datetime.now(UTC)
    started = time.perf_counter()
    with transaction.atomic():
        assert request.accept() is not None
    committed = time.perf_counter()
    done = _wait_refreshed(affected, (sender_id, recipient_id), since, timeout)
    return {
        "affected": len(affected),
        "accept_s": committed - started,
        "latency_s": None if done is None else done - started,
    }


def _distance_two(adjacency, rng, user: int, max_degree: int) -> int | None:
    """A random member two hops from user, not connected to it, of ordinary degree."""
    degree = np.diff(adjacency.indptr)
    mine = adjacency.indices[adjacency.indptr[user] : adjacency.indptr[user + 1]]
    for _ in range(50):
        via = rng.choice(mine)
        theirs = adjacency.indices[adjacency.indptr[via] : adjacency.indptr[via + 1]]
        other = int(rng.choice(theirs))
        if other != user and other not in set(mine.tolist()) and degree[other] <= max_degree:
            return other
    return None


def start_worker(env: dict, logfile: Path) -> subprocess.Popen:
    handle = logfile.open("w")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "--loglevel", "INFO",
         "--concurrency", "2", "--hostname", "bench-suggestions@%h", "--without-gossip",
         "--without-mingle"],
        cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while "ready." not in logfile.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("[bench] the Celery worker did not start:\n" + logfile.read_text())
        time.sleep(0.2)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def latency(edges_file: str, trials: int, hub_trials: int, hub_degree: int) -> dict:
    import redis
    from django.conf import settings
    from django.db import connection

    from connections.models import StaleSuggestions

    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        raise SystemExit("The latency part needs REDIS_URL and CELERY_EAGER=false.")
    data = np.load(edges_file)
    low, high, n = data["low"], data["high"], int(data["n"])
    adjacency = _neighbours(low, high, n)
    degree = np.diff(adjacency.indptr)
    rng = np.random.default_rng(SEED + 7)
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    StaleSuggestions.objects.all().delete()
    logfile = Path(tempfile.mkdtemp(prefix="gilda-bench-")) / "worker.log"
    worker = start_worker(dict(os.environ), logfile)
    results = {"ordinary": [], "hub": [], "failures": 0}
    used: set[int] = set()
    try:
        ordinary = np.flatnonzero((degree >= 10) & (degree <= 30))
        warmup = 2
        while len(results["ordinary"]) < trials + warmup:
            user = int(rng.choice(ordinary))
            other = _distance_two(adjacency, rng, user, max_degree=30)
            if other is None or user in used or other in used:
                continue
            used |= {user, other}
            outcome = _trial(user + 1, other + 1, timeout=60)
            if outcome["latency_s"] is None:
                results["failures"] += 1
            results["ordinary"].append(outcome)
        results["ordinary"] = results["ordinary"][warmup:]
        # The hub: the member with the most connections, topped up to hub_degree - 1 so
        # that the accepted request makes it hub_degree.
        hub = int(np.argmax(degree))
        mine = set(adjacency.indices[adjacency.indptr[hub] : adjacency.indptr[hub + 1]].tolist())
        needed = hub_degree - 1 - len(mine)
        if needed > 0:
            pool = np.setdiff1d(np.arange(n), np.fromiter(mine | {hub}, dtype=np.int64))
            pool = pool[degree[pool] <= 30]
            extra = rng.choice(pool, size=needed, replace=False)
            extra_low, extra_high = np.minimum(extra, hub), np.maximum(extra, hub)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(
                    "COPY connections_connection (user_low_id, user_high_id, created_at) "
                    "FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.write(
                    _binary_pairs(extra_low + 1, extra_high + 1, _pg_micros(datetime.now(UTC)))
                )
            low, high = np.concatenate([low, extra_low]), np.concatenate([high, extra_high])
            adjacency = _neighbours(low, high, n)
            log(f"hub {hub + 1}: topped up from {len(mine)} to {len(mine) + needed} connections")
        for _ in range(hub_trials):
            other = _distance_two(adjacency, rng, hub, max_degree=30)
            if other is None or other in used:
                continue
            used.add(other)
            # The hub accepts the newcomer's request.
            outcome = _trial(other + 1, hub + 1, timeout=120)
            if outcome["latency_s"] is None:
                results["failures"] += 1
            results["hub"].append(outcome)
            adjacency = _neighbours(
                np.append(low, min(hub, other)), np.append(high, max(hub, other)), n
            )
            low, high = np.append(low, min(hub, other)), np.append(high, max(hub, other))
    finally:
        stop_worker(worker)
    worker_log = logfile.read_text()
    results["worker_tasks"] = worker_log.count("refresh_stale_suggestions[") // 2
    results["hub_id"] = hub + 1
    results["n"] = n
    return results


# 5. Staleness: every input of the ranking, through a real worker -------------------------------

WORDS = [
    "fotografia", "video", "montaggio", "traduzioni", "inglese", "tedesco", "contratti",
    "fatture", "contabilità", "marketing", "social", "newsletter", "sito", "ecommerce",
    "catalogo", "logo", "grafica", "illustrazione", "stampa", "eventi", "catering", "allestimenti",
    "formazione", "corsi", "coaching", "vendite", "clienti", "preventivi", "privacy", "consulenza",
    "fiscale", "assunzioni", "recruiting", "acconciature", "colore", "taglio", "sposa",
    "copywriting", "articoli", "podcast", "ufficio", "stampa", "finanziamenti", "bandi",
    "export",
]  # fmt: skip


def add_side_data(n: int, big_group: int, rng: np.random.Generator) -> dict:
    """Cities (a quarter shown as region only), sectors, needs and offers, and groups: one
    of big_group members, a few of 1,000-2,500, many small ones."""
    from django.db import connection

    from groups.models import Group, Membership, Sector
    from profiles.models import User

    sectors = np.asarray(Sector.objects.values_list("pk", flat=True), dtype=np.int64)
    cities = np.arange(3_000_001, 3_000_041)
    city = np.where(rng.random(n) < 0.8, rng.choice(cities, n, p=_zipf(len(cities))), 0)
    visibility = np.where(rng.random(n) < 0.75, "city", "region")
    sector = np.where(rng.random(n) < 0.8, rng.choice(sectors, n), 0)

    def phrases(share: float) -> list[str]:
        return [
            " ".join(rng.choice(WORDS, rng.integers(1, 4))) if rng.random() < share else ""
            for _ in range(n)
        ]

    needs, offers = phrases(0.3), phrases(0.3)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE profiles_profile p SET geoname_id = NULLIF(d.city, 0), "
            "location_visibility = d.visibility, sector_id = NULLIF(d.sector, 0), "
            "needs = d.needs, offers = d.offers FROM unnest(%s::int8[], %s::int8[], %s::text[], "
            "%s::int8[], %s::text[], %s::text[]) AS d(id, city, visibility, sector, needs, offers) "
            "WHERE p.user_id = d.id",
            [list(range(1, n + 1)), city.tolist(), visibility.tolist(), sector.tolist(), needs,
             offers],
        )  # fmt: skip
    sizes = [big_group, 2500, 1500, 1000] + [int(x) for x in rng.integers(5, 300, n // 100)]
    owner = User.objects.get(pk=1)
    groups = Group.objects.bulk_create(
        [
            Group(name=f"Gruppo {i}", slug=f"gruppo-{i}", sector_id=int(rng.choice(sectors)),
                  creator=owner)
            for i in range(len(sizes))
        ]
    )  # fmt: skip
    seats = []
    for group, size in zip(groups, sizes, strict=True):
        members = rng.choice(n, size=min(size, n), replace=False) + 1
        seats += [
            Membership(group=group, user_id=int(pk), role="owner" if i == 0 else "member")
            for i, pk in enumerate(members)
        ]
    Membership.objects.bulk_create(seats, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE groups_group g SET member_count = (SELECT count(*) FROM groups_membership m "
            "WHERE m.group_id = g.id)"
        )
        cursor.execute("ANALYZE profiles_profile, groups_group, groups_membership")
    return {"groups": len(groups), "seats": len(seats), "big_group": groups[0].pk}


def _zipf(size: int) -> np.ndarray:
    weights = 1 / np.arange(1, size + 1)
    return weights / weights.sum()


def _stored_lists() -> dict[int, list[tuple]]:
    from django.db import connection

    lists: dict[int, list[tuple]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id, candidate_id, rank, mutual_count, shared_groups, same_city, "
            "same_sector, complementary, shared_events, latest_shared_event_pk "
            "FROM connections_suggestion ORDER BY user_id, rank"
        )
        for row in cursor.fetchall():
            lists.setdefault(row[0], []).append(tuple(int(v) for v in row[1:]))
    return lists


def _fresh_lists() -> dict[int, list[tuple]]:
    """What a recompute would store now, computed in memory (nothing written)."""
    from connections import suggestion_graph, suggestions

    graph = suggestion_graph.load_full_graph(extra_ids=suggestion_graph.all_user_ids())
    side = suggestion_graph.load_side_data(graph, full=True)
    rows = suggestions.compute(graph, graph.ids, side)
    lists: dict[int, list[tuple]] = {}
    for row in zip(rows.user.tolist(), rows.candidate.tolist(), rows.rank.tolist(),
                   rows.mutual.tolist(), rows.shared_groups.tolist(),
                   rows.same_city.astype(int).tolist(), rows.same_sector.astype(int).tolist(),
                   rows.complementary.astype(int).tolist(), rows.shared_events.tolist(),
                   rows.latest_shared_event.tolist(), strict=True):  # fmt: skip
        lists.setdefault(row[0], []).append(row[1:])
    return lists


def _settled(quiet_for: float, timeout: float) -> float | None:
    """Wait until no stale mark and no connections intent is open for quiet_for seconds."""
    from connections.models import StaleSuggestions
    from profiles.models import OutboxTask

    started = time.perf_counter()
    quiet_since = None
    while time.perf_counter() - started < timeout:
        busy = (
            StaleSuggestions.objects.exists()
            or OutboxTask.objects.filter(
                name__startswith="connections.", state__in=["pending", "running"]
            ).exists()
        )
        now = time.perf_counter()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_for:
            return quiet_since - started
        time.sleep(0.1)
    return None


def _action(kind: str, rng: np.random.Generator, n: int, groups: list[int]) -> bool:
    """One member action through the models, in its own transaction, as a view takes it."""
    from django.db import transaction

    from connections import suggestions
    from connections.models import (
        Block,
        Connection,
        ConnectionActionError,
        ConnectionRequest,
        Suggestion,
    )
    from groups.models import Group, GroupActionError
    from profiles.models import User

    user = User.objects.get(pk=int(rng.integers(1, n + 1)))
    shown = list(Suggestion.objects.filter(user=user).order_by("rank")[:20])
    other = (
        shown[int(rng.integers(len(shown)))].candidate
        if shown
        else User.objects.get(pk=int(rng.integers(1, n + 1)))
    )
    if other.pk == user.pk:
        return False
    try:
        with transaction.atomic():
            if kind == "accept":
                request = ConnectionRequest.send(user, other)
                if isinstance(request, ConnectionRequest) and request.is_open:
                    request.accept()
            elif kind == "remove":
                pair = Connection.objects.involving(user.pk).order_by("?").first()
                if pair is None:
                    return False
                Connection.remove(pair.user_low, pair.user_high)
            elif kind == "block":
                Block.block(user, other)
            elif kind == "dismiss":
                suggestions.dismiss(user, other.pk)
            elif kind == "request":
                ConnectionRequest.send(user, other)
            elif kind in ("decline", "withdraw"):
                request = ConnectionRequest.objects.pending().order_by("?").first()
                if request is None:
                    return False
                request.decline() if kind == "decline" else request.withdraw()
            elif kind == "profile":
                profile = user.profile
                field = rng.choice(["city", "visibility", "sector", "needs", "offers"])
                if field == "city":
                    profile.geoname_id = int(rng.integers(3_000_001, 3_000_041))
                elif field == "visibility":
                    profile.location_visibility = (
                        "region" if profile.location_visibility == "city" else "city"
                    )
                elif field == "sector":
                    profile.sector_id = int(rng.choice([s for s in range(1, 10)]))
                else:
                    setattr(profile, field, " ".join(rng.choice(WORDS, 2)))
                profile.save()
            elif kind == "join":
                Group.objects.get(pk=int(rng.choice(groups))).join(user)
            elif kind == "leave":
                seat = user.memberships.filter(role="member").order_by("?").first()
                if seat is None:
                    return False
                seat.group.leave(user)
    except (ConnectionActionError, GroupActionError):
        return False
    return True


STALENESS_MIX = {
    "accept": 30, "remove": 15, "block": 10, "dismiss": 30, "request": 30, "decline": 5,
    "withdraw": 5, "profile": 30, "join": 25, "leave": 20,
}  # fmt: skip


def staleness(kind: str, n: int, actions: int, big_group: int) -> dict:
    """After a recompute, `actions` random member actions through a real worker; once the
    worker settles, count the members whose stored list differs from a fresh recompute."""
    import redis
    from django.conf import settings
    from django.db import transaction

    from connections import suggestions
    from connections.models import StaleSuggestions
    from groups.models import Group
    from profiles.models import OutboxTask, User

    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.REDIS_URL:
        raise SystemExit("The staleness part needs REDIS_URL and CELERY_EAGER=false.")
    rng = np.random.default_rng(SEED + 11)
    with tempfile.TemporaryDirectory(prefix="gilda-bench-") as work:
        loaded = load(kind, n, str(Path(work) / "edges.npz"))
    side = add_side_data(n, big_group, rng)
    started = time.perf_counter()
    suggestions.recompute_all()
    recompute_s = time.perf_counter() - started
    groups = list(Group.objects.values_list("pk", flat=True))
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    StaleSuggestions.objects.all().delete()
    OutboxTask.objects.all().delete()
    # A join to the big group: how many lists it marks, and how long finding them takes.
    joins = []
    big = Group.objects.get(pk=side["big_group"])
    outsiders = User.objects.exclude(memberships__group=big).order_by("?")[:3]
    for user in outsiders:
        with transaction.atomic():
            big.join(user)
        timer = time.perf_counter()
        marked = len(suggestions.lists_a_candidate_change_can_move(user.pk, big.pk))
        joins.append({"marked": marked, "seconds": time.perf_counter() - timer})
    logfile = Path(tempfile.mkdtemp(prefix="gilda-bench-")) / "worker.log"
    worker = start_worker(dict(os.environ), logfile)
    done: dict[str, int] = {}
    try:
        kinds = [k for k, weight in STALENESS_MIX.items() for _ in range(weight)]
        started = time.perf_counter()
        for _ in range(actions):
            action = str(rng.choice(kinds))
            if _action(action, rng, n, groups):
                done[action] = done.get(action, 0) + 1
        acted = time.perf_counter()
        settle_s = _settled(quiet_for=3.0, timeout=900)
    finally:
        stop_worker(worker)
    stored, fresh = _stored_lists(), _fresh_lists()
    stale = [pk for pk in set(stored) | set(fresh) if stored.get(pk, []) != fresh.get(pk, [])]
    gaps = sum(
        1 for rows in stored.values() if [r[1] for r in rows] != list(range(1, len(rows) + 1))
    )
    return {
        **loaded,
        **side,
        "recompute_with_side_s": recompute_s,
        "actions": done,
        "actions_s": acted - started,
        "settle_s": settle_s,
        "stale_members": len(stale),
        "stale_examples": [
            {"user": pk, "stored": stored.get(pk, [])[:5], "fresh": fresh.get(pk, [])[:5]}
            for pk in stale[:3]
        ],
        "rank_gaps": gaps,
        "big_group_joins": joins,
        "big_group_size": big_group,
    }


# Orchestration --------------------------------------------------------------------------------


def child(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["load", "recompute", "reference", "latency", "staleness"])
    parser.add_argument("--kind")
    parser.add_argument("--n", type=int)
    parser.add_argument("--edges")
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--hub-trials", type=int, default=5)
    parser.add_argument("--hub-degree", type=int, default=5000)
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--big-group", type=int, default=5000)
    args = parser.parse_args(argv)
    setup_django()
    if args.step == "load":
        result = load(args.kind, args.n, args.edges)
    elif args.step == "recompute":
        result = recompute()
    elif args.step == "reference":
        result = reference(args.edges, args.sample)
    elif args.step == "staleness":
        result = staleness(args.kind, args.n, args.actions, args.big_group)
    else:
        result = latency(args.edges, args.trials, args.hub_trials, args.hub_degree)
    print(RESULT + json.dumps(result), flush=True)


def run_child(*args: str) -> dict:
    command = [sys.executable, "-m", "bench.suggestions", "--child", *args]
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if finished.returncode:
        raise SystemExit(f"[bench] step failed: {' '.join(args)}")
    line = [ln for ln in finished.stdout.splitlines() if ln.startswith(RESULT)][-1]
    return json.loads(line[len(RESULT) :])


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report(rows: list[dict], lat: dict | None, started: float, stale_runs=()) -> str:
    lines = [
        "| users | graph | edges | max degree | recompute s (read / compute / write) "
        "| scipy floor s | ratio | peak MB ours | peak MB floor | sample check |",
        "|---:|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        check = "OK" if r["sample_mismatches"] == 0 else f"{r['sample_mismatches']} differ"
        lines.append(
            f"| {r['n']:,} | {r['kind']} | {r['edges']:,} | {r['max_degree']:,} "
            f"| {r['recompute_s']:.1f} ({r['read_s']:.1f} / {r['compute_s']:.1f} / "
            f"{r['write_s']:.1f}) | {r['reference_s']:.1f} "
            f"| {r['recompute_s'] / r['reference_s']:.2f}× | {r['recompute_peak_mb']:.0f} "
            f"| {r['reference_peak_mb']:.0f} | {check} ({r['sample']} users) |"
        )
    if lat is not None:
        lines.append("")
        for label, key in (("ordinary members", "ordinary"), ("hub", "hub")):
            trials = lat[key]
            waits = [t["latency_s"] for t in trials if t["latency_s"] is not None]
            affected = statistics.median([t["affected"] for t in trials]) if trials else 0
            lines.append(
                f"- Refresh after accept, {label} ({len(trials)} trials, {lat['n']:,} users, "
                f"median {affected:.0f} members refreshed): median "
                f"{statistics.median(waits) if waits else float('nan'):.3f} s, "
                f"p95 {percentile(waits, 95):.3f} s, max {max(waits, default=float('nan')):.3f} s"
                f" (accept itself: median "
                f"{statistics.median([t['accept_s'] for t in trials]) if trials else 0:.3f} s)"
            )
        lines.append(f"- Timeouts: {lat['failures']}")
    for run in stale_runs:
        joins = run["big_group_joins"]
        settle = "never (timeout)" if run["settle_s"] is None else f"{run['settle_s']:.1f} s"
        lines += [
            "",
            f"- Staleness, {run['kind']} graph, {run['n']:,} members, {run['edges']:,} "
            f"connections, {run['groups']} groups ({run['seats']:,} seats): "
            f"{sum(run['actions'].values())} actions in {run['actions_s']:.1f} s "
            f"({', '.join(f'{k} {v}' for k, v in sorted(run['actions'].items()))}); worker "
            f"settled {settle} after the last; **{run['stale_members']} members stale**, "
            f"{run['rank_gaps']} lists with rank gaps. Recompute with groups, cities and "
            f"needs: {run['recompute_with_side_s']:.1f} s.",
            f"- Joining the {run['big_group_size']:,}-member group marks "
            + ", ".join(f"{j['marked']:,} lists ({j['seconds']:.2f} s)" for j in joins),
        ]
    lines.append("")
    lines.append(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    lines.append(
        f"Total benchmark time {time.perf_counter() - started:.0f} s; "
        f"{os.cpu_count()} cores; PostgreSQL and Redis on the same machine."
    )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        child(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated user counts")
    parser.add_argument("--kinds", default="community,pa", help="community, pa or both")
    parser.add_argument("--sample", type=int, default=500, help="members checked per graph")
    parser.add_argument("--trials", type=int, default=30, help="ordinary refresh trials")
    parser.add_argument("--hub-trials", type=int, default=5)
    parser.add_argument("--hub-degree", type=int, default=5000)
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument(
        "--staleness-sizes", default="20000", help="graphs for the staleness check ('' skips)"
    )
    parser.add_argument("--staleness-kind", default="community", choices=["community", "pa"])
    parser.add_argument("--actions", type=int, default=200, help="actions per staleness run")
    parser.add_argument("--big-group", type=int, default=5000)
    parser.add_argument("--out", default=str(ROOT / "artifacts" / "bench-suggestions.md"))
    args = parser.parse_args(argv)
    setup_django()  # refuses a database that is not a benchmark's before any child starts
    sizes = sorted(int(s) for s in args.sizes.split(","))
    kinds = [k for k in ("community", "pa") if k in args.kinds.split(",")]
    if not kinds or any(k not in ("community", "pa") for k in args.kinds.split(",")):
        parser.error("--kinds takes community, pa or community,pa")
    started = time.perf_counter()
    rows = []
    lat = None
    stale_runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="gilda-bench-") as work:
        for n in sizes:
            for kind in kinds:
                edges = str(Path(work) / f"{kind}-{n}.npz")
                log(f"{kind} graph, {n:,} users: generating and loading")
                row = run_child("load", "--kind", kind, "--n", str(n), "--edges", edges)
                log(f"  {row['edges']:,} connections loaded in {row['load_s']:.1f} s; recompute")
                row |= run_child("recompute")
                log(f"  recompute {row['recompute_s']:.1f} s; scipy reference and check")
                row |= run_child("reference", "--edges", edges, "--sample", str(args.sample))
                log(
                    f"  floor {row['reference_s']:.1f} s, "
                    f"ratio {row['recompute_s'] / row['reference_s']:.2f}, "
                    f"mismatches {row['sample_mismatches']}"
                )
                rows.append(row)
        if not args.no_latency:
            kind = "pa" if "pa" in kinds else kinds[-1]
            n = sizes[-1]
            if (kind, n) != (rows[-1]["kind"], rows[-1]["n"]):
                raise SystemExit("internal: latency must run on the last loaded graph")
            log(f"refresh latency with a real worker on the {kind} graph, {n:,} users")
            lat = run_child(
                "latency",
                "--edges",
                str(Path(work) / f"{kind}-{n}.npz"),
                "--trials",
                str(args.trials),
                "--hub-trials",
                str(args.hub_trials),
                "--hub-degree",
                str(args.hub_degree),
            )
        for size in [int(x) for x in args.staleness_sizes.split(",") if x]:
            log(f"staleness: {args.staleness_kind} graph, {size:,} users, {args.actions} actions")
            stale_runs.append(
                run_child(
                    "staleness", "--kind", args.staleness_kind, "--n", str(size),
                    "--actions", str(args.actions), "--big-group", str(args.big_group),
                )
            )  # fmt: skip
            log(f"  {stale_runs[-1]['stale_members']} members stale after the worker settled")
    text = report(rows, lat, started, stale_runs)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "# Benchmark: people you may know\n\n"
        f"`make bench-suggestions` ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)\n\n{text}\n"
    )
    log(f"written to {out}")
    for run in stale_runs:
        if run["stale_members"] or run["rank_gaps"] or run["settle_s"] is None:
            print(json.dumps(run["stale_examples"]), file=sys.stderr)
            raise SystemExit("[bench] stored suggestions are stale after the worker settled")
    for row in rows:
        if row["sample_mismatches"]:
            print(json.dumps(row["mismatch_examples"]), file=sys.stderr)
            raise SystemExit("[bench] stored suggestions differ from the reference")


if __name__ == "__main__":
    main(sys.argv[1:])

"""What the co-attendance signal costs people you may know: the full recompute of a
preferential-attachment graph without meetups, then with 2,000 past meetups (5–40 replies
each, 80% marked present) in 100 groups; the refresh of one attendee's list; marking a
meetup's attendance (what the request pays).

    GILDA_ENV=prod DATABASE_URL=postgres://postgres@127.0.0.1:5432/gilda_bench_coattend \\
    REDIS_URL=redis://127.0.0.1:6379/10 CELERY_EAGER=false SECRET_KEY=… \\
    .venv/bin/python -m bench.coattendance --n 20000

Wipes the database it is pointed at (gilda_bench* only, as bench.suggestions).
"""

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta

import numpy as np

from bench import setup_django


def main() -> None:
    # The database's name first: a wrong one is refused whatever the arguments.
    setup_django()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--meetups", type=int, default=2000)
    args = parser.parse_args()
    from django.db import transaction
    from django.utils import timezone

    from bench.suggestions import load, recompute
    from connections import suggestions
    from connections.models import Suggestion
    from groups.models import Event, Group, Rsvp, Sector
    from profiles.models import User

    n = args.n
    with tempfile.TemporaryDirectory() as scratch:
        print("loaded", load("pa", n, f"{scratch}/edges.npz"), flush=True)
    print("recompute without meetups", recompute(), flush=True)
    rng = np.random.default_rng(7)
    sector = Sector.objects.first()
    groups = [
        Group.create_with_owner(owner, name=f"G{i}", slug=f"g-{i}", sector=sector)
        for i, owner in enumerate(User.objects.order_by("pk")[:100])
    ]
    now = timezone.now()
    starts = [now - timedelta(days=int(d)) for d in rng.integers(1, 400, args.meetups)]
    events = Event.objects.bulk_create(
        Event(
            group=groups[i % len(groups)],
            organiser_id=groups[i % len(groups)].creator_id,
            title=f"Incontro {i}",
            format="online",
            online_url="https://meet.example.com/x",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        )
        for i, start in enumerate(starts)
    )
    rsvps = [
        Rsvp(
            event=event,
            user_id=int(user) + 1,
            answer="going",
            attended_at=now if rng.random() < 0.8 else None,
        )
        for event in events
        for user in rng.choice(n, int(rng.integers(5, 41)), replace=False)
    ]
    Rsvp.objects.bulk_create(rsvps, batch_size=5000)
    present = sum(r.attended_at is not None for r in rsvps)
    print(f"meetups {len(events)}, replies {len(rsvps)}, marked present {present}", flush=True)
    print("recompute with meetups", recompute(), flush=True)
    shared = Suggestion.objects.filter(shared_events__gt=0)
    members = shared.values("user").distinct().count()
    print(f"rows with a shared meetup {shared.count()}, members with one {members}", flush=True)
    attendees = list(
        Rsvp.objects.filter(attended_at__isnull=False).values_list("user_id", flat=True).distinct()
    )
    times = []
    for user_id in rng.choice(attendees, 32, replace=False):
        started = time.perf_counter()
        suggestions.refresh_for([int(user_id)])
        times.append(time.perf_counter() - started)
    times = sorted(times[2:])  # two warm-up runs dropped
    p95 = times[int(0.95 * len(times)) - 1]
    print(f"refresh one attendee: median {statistics.median(times):.3f} s, p95 {p95:.3f} s")
    event = max(events, key=lambda e: e.rsvps.count())
    going = list(event.rsvps.values_list("user_id", flat=True))
    event.mark_attended(going, present=False)
    started = time.perf_counter()
    with transaction.atomic():
        changed = event.mark_attended(going)
    print(f"mark_attended of {changed}: {time.perf_counter() - started:.3f} s")
    print("load average", os.getloadavg())


if __name__ == "__main__":
    main()

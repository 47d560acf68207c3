"""Benchmark the directory's "near me" at 10k and 100k profiles on PostgreSQL.

    make bench-directory        # DATABASE_URL=postgres://…/gilda_bench_dir, wiped and refilled
    .venv/bin/python -m bench.directory [--sizes 10000,100000] [--runs 15] [--cities Milano,Perugia]

Measured in the same run, at each size: the whole page (queries and milliseconds, through the
test client), the near-me SQL the page runs (count + first page) with the bounding box served
by profile_public_geo_idx, and the baseline: the same SQL without the box, which has to compute
the distance of every profile. Ratios: 100k/10k, and baseline/box.
"""

import argparse
import random
import statistics
import sys
import time
from urllib.parse import urlencode

from bench import setup_django

BATCH = 5000
VIEWER_EMAIL = "viewer@bench.gilda"


def median_ms(work, runs: int) -> float:
    work()  # warm the caches and the plan
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description='Benchmark the members directory "near me" at growing sizes (PostgreSQL).'
    )
    parser.add_argument("--sizes", default="10000,100000", help="Comma-separated sizes.")
    parser.add_argument("--runs", type=int, default=15, help="Timed runs per measure.")
    parser.add_argument(
        "--cities",
        default="Milano,Perugia",
        help="The viewer's cities: the densest area, and a typical one.",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    setup_django()

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from profiles import gazetteer
    from profiles.models import Sector, Skill, User

    targets = sorted(int(size) for size in args.sizes.split(","))
    places = [gazetteer.find(city.strip()) for city in args.cities.split(",")]
    if None in places:
        raise SystemExit(f"Unknown city in {args.cities!r}.")

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE profiles_user RESTART IDENTITY CASCADE")
        cursor.execute("TRUNCATE profiles_skill RESTART IDENTITY CASCADE")
    rng = random.Random(args.seed)
    skills = Skill.objects.bulk_create(
        Skill(name=f"Competenza {i}", slug=f"competenza-{i}", is_approved=True) for i in range(200)
    )
    # Members live where Italians live: cities drawn by population, one in five region-only.
    italy = [p for p in gazetteer._places()[1] if p.country == "IT"]
    kit = {
        "skills": skills,
        "sectors": list(Sector.objects.all()),
        "places": italy,
        "weights": [p.population for p in italy],
        "password": make_password(None),
    }
    viewer = User.objects.create(email=VIEWER_EMAIL, display_name="Bench Viewer")
    profile = viewer.profile

    rows, created = [], 0
    for size in targets:
        start = time.perf_counter()
        create_profiles(rng, kit, created, size - created)
        created = size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE profiles_user")
            cursor.execute("ANALYZE profiles_profile")
            cursor.execute("ANALYZE profiles_profile_skills")
        elapsed = time.perf_counter() - start
        print(f"{size:>7} profiles generated in {elapsed:.1f} s", flush=True)
        for place in places:
            profile.set_location(place)
            profile.save()
            rows.append(measure(size, place.name, viewer, profile, args.runs))

    report(rows, [place.name for place in places])


def create_profiles(rng: random.Random, kit: dict, offset: int, count: int) -> None:
    from profiles.models import Profile, User

    through = Profile.skills.through
    for start in range(offset, offset + count, BATCH):
        stop = min(start + BATCH, offset + count)
        users = User.objects.bulk_create(
            User(
                email=f"m{i:06d}@bench.gilda",
                display_name=f"Membro {i}",
                password=kit["password"],
            )
            for i in range(start, stop)
        )
        profiles = []
        for user in users:
            profile = Profile(
                user=user,
                headline="Professionista",
                sector=rng.choice(kit["sectors"]),
                open_to=rng.choice(["", "collaborations", "mentoring", "clients", "jobs"]),
                location_visibility="region" if rng.random() < 0.2 else "city",
            )
            if rng.random() < 0.9:
                profile.set_location(rng.choices(kit["places"], kit["weights"])[0])
            profiles.append(profile)
        profiles = Profile.objects.bulk_create(profiles)
        through.objects.bulk_create(
            through(profile_id=profile.pk, skill=skill)
            for profile in profiles
            for skill in rng.sample(kit["skills"], 3)
        )


def near_querysets(viewer, profile):
    from groups.views.directory import NEAR_DEFAULT_KM
    from profiles.models import Profile

    lat, lon = profile.latitude, profile.longitude
    others = Profile.objects.visible_to(viewer).exclude(user=viewer)
    boxed = others.within_km(lat, lon, NEAR_DEFAULT_KM).order_by("distance_km", "-pk")
    full_scan = (
        others.with_distance_from(lat, lon)
        .filter(distance_km__lte=NEAR_DEFAULT_KM)
        .order_by("distance_km", "-pk")
    )
    return boxed, full_scan


def measure(size: int, city: str, viewer, profile, runs: int) -> dict:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection, reset_queries
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from groups.views.directory import NEAR_DEFAULT_KM, PAGE_SIZE
    from profiles import geo
    from profiles.models import Profile

    # As Django's TestCase does: keep the connection across requests, so that the queries
    # of the request are counted and the timing is not a reconnection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(viewer, backend="profiles.backends.ModelBackend")
    url = f"{reverse('directory')}?{urlencode({'ordine': 'vicino'})}"
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        reset_queries()  # a request starts by clearing the log: count from zero
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200 or b'data-testid="distance"' not in response.content:
            raise SystemExit(f"The directory page failed: {response.status_code}")
        page_ms = median_ms(lambda: client.get(url), runs)

    boxed, full_scan = near_querysets(viewer, profile)

    def run(queryset):
        def work():
            queryset.all().count()
            list(queryset.all()[:PAGE_SIZE])

        return work

    boxed_ms = median_ms(run(boxed), runs)
    scan_ms = median_ms(run(full_scan), runs)
    within = boxed.count()
    if within != full_scan.count():
        raise SystemExit("The bounding box changed the result: it must never.")
    lat, lon = profile.latitude, profile.longitude
    box = geo.bounding_box(lat, lon, NEAR_DEFAULT_KM, "public_latitude", "public_longitude")
    in_box = Profile.objects.filter(box).count()
    return {
        "size": size,
        "city": city,
        "page_queries": len(queries),
        "page_ms": page_ms,
        "boxed_ms": boxed_ms,
        "scan_ms": scan_ms,
        "in_box": in_box,
        "within": within,
        "boxed_plan": boxed[:PAGE_SIZE].explain(analyze=True),
        "scan_plan": full_scan[:PAGE_SIZE].explain(analyze=True),
    }


def report(rows: list[dict], cities: list[str]) -> None:
    from groups.views.directory import NEAR_DEFAULT_KM

    print()
    print(f'Directory "near me" (default {NEAR_DEFAULT_KM} km around the viewer), median ms')
    print()
    print(
        "| profiles | viewer in | in box | within | page queries | page ms "
        "| SQL box+index ms | SQL full scan ms | scan/box |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['size']:,} | {row['city']} | {row['in_box']:,} | {row['within']:,} "
            f"| {row['page_queries']} | {row['page_ms']:.1f} | {row['boxed_ms']:.1f} "
            f"| {row['scan_ms']:.1f} | {row['scan_ms'] / row['boxed_ms']:.1f}× |"
        )
    for city in cities:
        mine = [row for row in rows if row["city"] == city]
        if len(mine) < 2:
            continue
        small, big = mine[0], mine[-1]
        print(
            f"| {big['size'] // small['size']}× data | {city} "
            f"| {big['in_box'] / max(small['in_box'], 1):.1f}× | "
            f"| {big['page_queries'] - small['page_queries']:+d} "
            f"| {big['page_ms'] / small['page_ms']:.1f}× "
            f"| {big['boxed_ms'] / small['boxed_ms']:.1f}× "
            f"| {big['scan_ms'] / small['scan_ms']:.1f}× | |"
        )
    for row in rows[-len(cities) :]:
        print()
        print(f"EXPLAIN ANALYZE, near-me page, {row['size']:,} profiles, viewer in {row['city']}:")
        print(row["boxed_plan"])
        print()
        print("The same without the box (baseline):")
        print(row["scan_plan"])


if __name__ == "__main__":
    main(sys.argv[1:])

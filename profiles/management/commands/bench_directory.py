"""Benchmark the directory's "near me" at 10k and 100k profiles on PostgreSQL.

    make bench-directory        # DATABASE_URL=postgres://…/gilda_bench_dir, wiped and refilled

Measured in the same run, at each size: the whole page (queries and milliseconds, through the
test client), the near-me SQL the page runs (count + first page) with the bounding box served
by profile_public_geo_idx, and the baseline: the same SQL without the box, which has to compute
the distance of every profile. Ratios: 100k/10k, and baseline/box.
"""

import random
import statistics
import time
from urllib.parse import urlencode

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, reset_queries
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from groups.models import Sector
from profiles import gazetteer, geo
from profiles.directory import NEAR_DEFAULT_KM, PAGE_SIZE
from profiles.models import Profile, Skill, User

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


class Command(BaseCommand):
    help = 'Benchmark the members directory "near me" at growing sizes (PostgreSQL only).'

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,100000", help="Comma-separated sizes.")
        parser.add_argument("--runs", type=int, default=15, help="Timed runs per measure.")
        parser.add_argument(
            "--cities",
            default="Milano,Perugia",
            help="The viewer's cities: the densest area, and a typical one.",
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, sizes: str, runs: int, cities: str, seed: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Run on PostgreSQL: make bench-directory sets DATABASE_URL.")
        name = connection.settings_dict["NAME"]
        if not name.startswith("gilda_bench"):
            raise CommandError(f"Refusing to wipe {name!r}: use a gilda_bench_* database.")
        targets = sorted(int(size) for size in sizes.split(","))
        places = [gazetteer.find(city.strip()) for city in cities.split(",")]
        if None in places:
            raise CommandError(f"Unknown city in {cities!r}.")

        call_command("migrate", verbosity=0, interactive=False)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE profiles_user RESTART IDENTITY CASCADE")
            cursor.execute("TRUNCATE profiles_skill RESTART IDENTITY CASCADE")
        rng = random.Random(seed)
        self.skills = Skill.objects.bulk_create(
            Skill(name=f"Competenza {i}", slug=f"competenza-{i}", is_approved=True)
            for i in range(200)
        )
        self.sectors = list(Sector.objects.all())
        # Members live where Italians live: cities drawn by population, one in five region-only.
        self.places = [p for p in gazetteer._places()[1] if p.country == "IT"]
        self.weights = [p.population for p in self.places]
        self.password = make_password(None)
        viewer = User.objects.create(email=VIEWER_EMAIL, display_name="Bench Viewer")
        profile = viewer.profile

        rows, created = [], 0
        for size in targets:
            start = time.perf_counter()
            self.create_profiles(rng, created, size - created)
            created = size
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE profiles_user")
                cursor.execute("ANALYZE profiles_profile")
                cursor.execute("ANALYZE profiles_profile_skills")
            elapsed = time.perf_counter() - start
            self.stdout.write(f"{size:>7} profiles generated in {elapsed:.1f} s")
            for place in places:
                profile.set_location(place)
                profile.save()
                rows.append(self.measure(size, place.name, viewer, profile, runs))

        self.report(rows, [place.name for place in places])

    def create_profiles(self, rng: random.Random, offset: int, count: int) -> None:
        through = Profile.skills.through
        for start in range(offset, offset + count, BATCH):
            stop = min(start + BATCH, offset + count)
            users = User.objects.bulk_create(
                User(
                    email=f"m{i:06d}@bench.gilda",
                    display_name=f"Membro {i}",
                    password=self.password,
                )
                for i in range(start, stop)
            )
            profiles = []
            for user in users:
                profile = Profile(
                    user=user,
                    headline="Professionista",
                    sector=rng.choice(self.sectors),
                    open_to=rng.choice(["", "collaborations", "mentoring", "clients", "jobs"]),
                    location_visibility="region" if rng.random() < 0.2 else "city",
                )
                if rng.random() < 0.9:
                    profile.set_location(rng.choices(self.places, self.weights)[0])
                profiles.append(profile)
            profiles = Profile.objects.bulk_create(profiles)
            through.objects.bulk_create(
                through(profile_id=profile.pk, skill=skill)
                for profile in profiles
                for skill in rng.sample(self.skills, 3)
            )

    def near_querysets(self, viewer, profile):
        lat, lon = profile.latitude, profile.longitude
        others = Profile.objects.visible_to(viewer).exclude(user=viewer)
        boxed = others.within_km(lat, lon, NEAR_DEFAULT_KM).order_by("distance_km", "-pk")
        full_scan = (
            others.with_distance_from(lat, lon)
            .filter(distance_km__lte=NEAR_DEFAULT_KM)
            .order_by("distance_km", "-pk")
        )
        return boxed, full_scan

    def measure(self, size: int, city: str, viewer, profile, runs: int) -> dict:
        # As Django's TestCase does: keep the connection across requests, so that the queries
        # of the request are counted and the timing is not a reconnection.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        client = Client()
        client.force_login(viewer, backend="django.contrib.auth.backends.ModelBackend")
        url = f"{reverse('directory')}?{urlencode({'ordine': 'vicino'})}"
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            reset_queries()  # a request starts by clearing the log: count from zero
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            if response.status_code != 200 or b'data-testid="distance"' not in response.content:
                raise CommandError(f"The directory page failed: {response.status_code}")
            page_ms = median_ms(lambda: client.get(url), runs)

        boxed, full_scan = self.near_querysets(viewer, profile)

        def run(queryset):
            def work():
                queryset.all().count()
                list(queryset.all()[:PAGE_SIZE])

            return work

        boxed_ms = median_ms(run(boxed), runs)
        scan_ms = median_ms(run(full_scan), runs)
        within = boxed.count()
        if within != full_scan.count():
            raise CommandError("The bounding box changed the result: it must never.")
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

    def report(self, rows: list[dict], cities: list[str]) -> None:
        out = self.stdout.write
        out("")
        out(f'Directory "near me" (default {NEAR_DEFAULT_KM} km around the viewer), median ms')
        out("")
        out(
            "| profiles | viewer in | in box | within | page queries | page ms "
            "| SQL box+index ms | SQL full scan ms | scan/box |"
        )
        out("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for row in rows:
            out(
                f"| {row['size']:,} | {row['city']} | {row['in_box']:,} | {row['within']:,} "
                f"| {row['page_queries']} | {row['page_ms']:.1f} | {row['boxed_ms']:.1f} "
                f"| {row['scan_ms']:.1f} | {row['scan_ms'] / row['boxed_ms']:.1f}× |"
            )
        for city in cities:
            mine = [row for row in rows if row["city"] == city]
            if len(mine) < 2:
                continue
            small, big = mine[0], mine[-1]
            out(
                f"| {big['size'] // small['size']}× data | {city} "
                f"| {big['in_box'] / max(small['in_box'], 1):.1f}× | "
                f"| {big['page_queries'] - small['page_queries']:+d} "
                f"| {big['page_ms'] / small['page_ms']:.1f}× "
                f"| {big['boxed_ms'] / small['boxed_ms']:.1f}× "
                f"| {big['scan_ms'] / small['scan_ms']:.1f}× | |"
            )
        for row in rows[-len(cities) :]:
            out("")
            out(
                f"EXPLAIN ANALYZE, near-me page, {row['size']:,} profiles, viewer in {row['city']}:"
            )
            out(row["boxed_plan"])
            out("")
            out("The same without the box (baseline):")
            out(row["scan_plan"])

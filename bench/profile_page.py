"""Profile one page in-process on the seed-large data, as bench-pages serves it (prod settings).

    DATABASE_URL=postgres://…/gilda_bench_pages REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python -m bench.profile_page /gruppi/gruppo-1/ [--anonymous] [--repeat 20]

Prints pyinstrument's call tree of `--repeat` requests (after one warm-up), the mean time per
request, and the SQL of one request.
"""

import argparse
import os
import sys
import time

from bench.pages import PROD_ENV


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--anonymous", action="store_true")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="Print every query of one request.")
    args = parser.parse_args(argv)
    os.environ.update(PROD_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    from bench import refuse_unless_bench_database

    refuse_unless_bench_database(settings.DATABASES["default"])
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from bench.seed_large import VIEWER_EMAIL
    from profiles.models import User

    client = Client()
    if not args.anonymous:
        viewer = User.objects.get(email=VIEWER_EMAIL)
        client.force_login(viewer, backend="profiles.backends.ModelBackend")
    response = client.get(args.path)
    print(f"status {response.status_code}, {len(response.content):,} bytes")
    with CaptureQueriesContext(connection) as queries:
        client.get(args.path)
    for query in queries.captured_queries:
        line = query["sql"] if args.sql else query["sql"][:160]
        print(f"{float(query['time']) * 1000:7.1f} ms  {line}")
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for _ in range(args.repeat):
            client.get(args.path)
    elapsed = (time.perf_counter() - started) / args.repeat
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{elapsed * 1000:.1f} ms per request ({args.repeat} requests)")


if __name__ == "__main__":
    main(sys.argv[1:])

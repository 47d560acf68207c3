"""CPU time per request of every key page against the floor's, in-process: the share of the
floor that a busy shared machine cannot blur (process CPU time counts only this process's work;
the database's own time is left out, and is reported by bench-pages as SQL ms).

    make seed-large && .venv/bin/python -m bench.cpu [--repeat 20] [--output …]

The floor is bench/floor.py's trivial view, run by the same Django test client in a child
process (its settings cannot share this process). Writes bench/results/cpu.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.pages import LOGGED_TARGET, PROD_ENV, ROOT, seeded_key_pages

RESULTS = ROOT / "bench" / "results"


def cpu_ms(client, path: str, repeat: int) -> tuple[float, int]:
    status = client.get(path).status_code  # warm
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        client.get(path)
        samples.append((time.process_time() - started) * 1000)
    return statistics.median(samples), status


def floor_ms(repeat: int) -> float:
    code = (
        "import time, statistics, bench.floor\n"
        "from django.test import Client\n"
        "c = Client(); c.get('/')\n"
        "s = []\n"
        f"for _ in range({repeat * 5}):\n"
        "    t = time.process_time(); c.get('/'); s.append((time.process_time() - t) * 1000)\n"
        "print(statistics.median(s))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--output", default=str(RESULTS / "cpu.md"))
    args = parser.parse_args(argv)
    os.environ.update(PROD_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    from bench import refuse_unless_bench_database

    refuse_unless_bench_database(settings.DATABASES["default"])
    django.setup()
    from django.test import Client

    from bench.seed_large import OTHER_EMAIL, VIEWER_EMAIL
    from profiles.models import User

    viewer = User.objects.get(email=VIEWER_EMAIL)
    other = User.objects.get(email=OTHER_EMAIL)
    pages = seeded_key_pages(viewer, other)
    logged = Client()
    logged.force_login(viewer, backend="profiles.backends.ModelBackend")
    anonymous = Client()
    floor = floor_ms(args.repeat)
    lines = [
        "# CPU time per request, in-process, against the floor",
        "",
        f"Median process CPU time over {args.repeat} requests through Django's test client "
        f"(prod settings); the floor (bench/floor.py) costs {floor:.2f} ms. Load average "
        f"{' / '.join(f'{value:.1f}' for value in os.getloadavg())}.",
        "",
        "| page | who | CPU ms | floor / page |",
        "|---|---|---:|---:|",
    ]
    for name, path, anonymous_too in pages:
        for is_logged in (True, False) if anonymous_too else (True,):
            ms, status = cpu_ms(logged if is_logged else anonymous, path, args.repeat)
            share = floor / ms if ms else 0.0
            mark = "" if status == 200 else f" (status {status})"
            lines.append(
                f"| {name} | {'member' if is_logged else 'anonymous'} | {ms:.1f} "
                f"| {share:.1%}{mark} |"
            )
            print(lines[-1], flush=True)
    lines += ["", f"Target for members: {LOGGED_TARGET:.0%} of the floor.", ""]
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])

"""manage.py recompute_suggestions: every member's suggestions, in ranges."""

import time

from django.core.management.base import BaseCommand

from connections import suggestions


class Command(BaseCommand):
    help = "Recompute everyone's 'people you may know' now, in this process, with progress."

    def add_arguments(self, parser):
        parser.add_argument(
            "--range-size", type=int, default=20000, help="Members per id range (default 20000)."
        )
        parser.add_argument(
            "--dispatch",
            action="store_true",
            help="Queue one background task per id range (through the outbox) instead.",
        )

    def handle(self, *args, range_size: int, dispatch: bool, **options):
        if range_size < 1:
            self.stderr.write("--range-size must be positive.")
            return
        if dispatch:
            from connections.tasks import dispatch_ranges

            self.stdout.write(f"Queued {dispatch_ranges(range_size)} ranges.")
            return
        ranges = suggestions.user_id_ranges(range_size)
        done = 0
        started = time.perf_counter()

        def progress(lo: int, hi: int) -> None:
            nonlocal done
            done += 1
            width = 30
            filled = width * done // max(len(ranges), 1)
            self.stdout.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{len(ranges)} ranges",
                ending="",
            )
            self.stdout.flush()

        written = suggestions.recompute_all(range_size, progress=progress)
        elapsed = time.perf_counter() - started
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"{written} suggestions written in {elapsed:.1f} s."))

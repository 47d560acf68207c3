"""manage.py seed_demo: reproducible Italian demo data across every layer (dev only)."""

import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from connections.demo import seed_connections
from connections.suggestions import recompute_all
from groups.demo import seed_groups
from profiles.demo import seed_members, seed_profiles


class Command(BaseCommand):
    help = "Create reproducible Italian demo data (members, groups, content). Safe to rerun."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--members", type=int, default=40, help="Extra members to create.")
        parser.add_argument(
            "--allow-non-dev",
            action="store_true",
            help="Run outside GILDA_ENV=dev too (then without the admin account).",
        )

    def handle(self, *args, seed: int, members: int, allow_non_dev: bool, **options):
        # Every demo account's password is published in the README: staging or production
        # gets them only on purpose, and never the superuser.
        in_dev = settings.GILDA_ENV == "dev"
        if not in_dev and not allow_non_dev:
            raise CommandError(
                f"seed_demo runs in GILDA_ENV=dev, not {settings.GILDA_ENV!r}: its passwords "
                "are public. Pass --allow-non-dev to add the demo members (never the admin)."
            )
        rng = random.Random(seed)
        with transaction.atomic():
            people = seed_members(rng, crowd=members, admin=in_dev)
            seed_profiles(rng, people)
            seed_groups(rng, people)
            # Its own generator: a rerun that skips existing rows above draws fewer numbers.
            seed_connections(random.Random(f"connections-{seed}"), people)
        # After the commit: the engine reads the graph as everyone will see it.
        recompute_all()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(people)} members (seed {seed}).")
        )

"""Demo connections for seed_demo: a believable network around the personas.

Dave and Erin are not connected and share exactly two connections (Alice and Bob), so that
Erin is Dave's first "people you may know", explained by those two names.
"""

import random

from django.db.models import Q

from connections.models import Connection, ConnectionRequest

CROWD_DEGREE = (2, 6)


def _pair(a, b) -> tuple[int, int]:
    return (a.pk, b.pk) if a.pk < b.pk else (b.pk, a.pk)


def seed_connections(rng: random.Random, people: list) -> int:
    """Create the demo graph (rerunnable: existing rows are kept). Returns the edges wanted.

    people: the personas (alice, bob, carol, dave, erin) then the crowd, as seed_members
    returns them.
    """
    alice, bob, carol, dave, erin, *crowd = people
    edges = {
        _pair(a, b)
        for a, b in [(alice, bob), (alice, dave), (bob, dave), (alice, erin), (bob, erin)]
    }
    edges |= {_pair(carol, dave), _pair(carol, alice)}
    # The crowd: a few connections each, never to both Dave and Erin, never Dave–Erin.
    sides = {dave.pk: erin.pk, erin.pk: dave.pk}
    touching = {dave.pk: set(), erin.pk: set()}
    pool = [alice, bob, carol, dave, erin, *crowd]
    for member in crowd:
        for other in rng.sample(pool, min(len(pool), rng.randint(*CROWD_DEGREE))):
            if other.pk == member.pk:
                continue
            if other.pk in sides and member.pk in touching[sides[other.pk]]:
                continue
            if other.pk in touching:
                touching[other.pk].add(member.pk)
            edges.add(_pair(member, other))
    edges.discard(_pair(dave, erin))
    Connection.objects.bulk_create(
        [Connection(user_low_id=low, user_high_id=high) for low, high in sorted(edges)],
        ignore_conflicts=True,
    )
    _seed_requests(crowd, dave, erin)
    return len(edges)


def _seed_requests(crowd: list, dave, erin) -> None:
    """One request waiting for Dave and one he sent, so the network page has both."""
    if len(crowd) < 2:
        return
    wanted = [
        (crowd[0], dave, "Ciao Davide, ho letto le tue risposte nel gruppo: restiamo in contatto?"),
        (dave, crowd[1], ""),
    ]
    for sender, recipient, message in wanted:
        low, high = _pair(sender, recipient)
        if Connection.objects.filter(user_low_id=low, user_high_id=high).exists():
            continue
        exists = ConnectionRequest.objects.filter(
            Q(sender=sender, recipient=recipient) | Q(sender=recipient, recipient=sender)
        ).exists()
        if not exists:
            ConnectionRequest.objects.create(sender=sender, recipient=recipient, message=message)

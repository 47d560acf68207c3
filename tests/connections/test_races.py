"""Connection races on PostgreSQL: real threads, real transactions, real row locks."""

import pytest

from connections.models import Connection, ConnectionRequest, StaleSuggestions, mark_stale

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_requests_both_ways_make_one_connection(alice, bob, all_at_once):
    results = all_at_once(
        [
            *(lambda: ConnectionRequest.send(alice, bob, "Ciao Roberto") for _ in range(5)),
            *(lambda: ConnectionRequest.send(bob, alice, "Ciao Alice") for _ in range(5)),
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert Connection.objects.between(alice.pk, bob.pk).count() == 1
    assert Connection.objects.count() == 1
    # Whatever the interleaving, nothing is left pending between them.
    assert not ConnectionRequest.objects.pending_between(alice.pk, bob.pk).exists()


def test_concurrent_accepts_of_one_request_make_one_connection(alice, bob, all_at_once):
    request = ConnectionRequest.send(alice, bob, "Ciao")
    copies = [ConnectionRequest.objects.get(pk=request.pk) for _ in range(10)]

    results = all_at_once([copy.accept for copy in copies])

    assert not [r for r in results if isinstance(r, Exception)]
    assert Connection.objects.count() == 1
    request.refresh_from_db()
    assert request.status == ConnectionRequest.Status.ACCEPTED
    # One "accepted" notification, not ten.
    assert alice.notifications.filter(kind="connection-accepted").count() == 1


def test_accept_racing_withdraw_ends_in_exactly_one_state(alice, bob, all_at_once):
    request = ConnectionRequest.send(alice, bob, "Ciao")
    accept = ConnectionRequest.objects.get(pk=request.pk)
    withdraw = ConnectionRequest.objects.get(pk=request.pk)

    all_at_once([accept.accept, withdraw.withdraw])

    request.refresh_from_db()
    connected = Connection.objects.between(alice.pk, bob.pk).exists()
    assert (request.status, connected) in {
        (ConnectionRequest.Status.ACCEPTED, True),
        (ConnectionRequest.Status.WITHDRAWN, False),
    }


def test_parallel_stale_marks_neither_deadlock_nor_fail_and_all_get_drained(
    alice, bob, carol, all_at_once
):
    ids = [alice.pk, bob.pk, carol.pk]
    # Upserts of the same rows from 20 transactions, in both orders (sorted inside).
    results = all_at_once(
        [lambda i=i: mark_stale(*(ids if i % 2 else ids[::-1])) for i in range(20)]
    )

    assert not [r for r in results if isinstance(r, Exception)]
    # Each commit woke an (eager) refresh; together they left nothing stale behind.
    assert not StaleSuggestions.objects.exists()

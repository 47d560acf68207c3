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


def test_a_request_waits_for_a_workers_bucket_before_locking_rows(alice, bob):
    """The worker's order: a bucket's advisory lock, then rows (a member's, here). A request
    between the two members must take the bucket first too; locking the user rows first and
    then waiting for the bucket deadlocked with such a worker (seen under the load test)."""
    import threading
    import time

    from django.db import connection, transaction

    from connections.models import lock_users
    from profiles.models import User

    holding, errors = threading.Event(), []

    def worker():
        try:
            with transaction.atomic():
                lock_users([alice.pk])
                holding.set()
                time.sleep(0.5)  # the request arrives meanwhile
                list(User.objects.select_for_update().filter(pk=alice.pk))
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)
        finally:
            connection.close()

    def request():
        try:
            ConnectionRequest.send(bob, alice, "Ciao Alice")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker), threading.Thread(target=request)]
    threads[0].start()
    holding.wait(5)
    threads[1].start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert ConnectionRequest.objects.pending_between(alice.pk, bob.pk).count() == 1


def test_a_pair_being_connected_does_not_hold_up_rows_that_point_at_its_members(alice, bob):
    """lock_pair locks both members' rows FOR NO KEY UPDATE. A row inserted that points at one
    of them (a stale mark, here) takes a key-share lock on the member's row when its foreign
    key is checked, at commit: FOR UPDATE blocked it until the request committed. A worker's
    stale marks for many members then deadlocked with a request that held one of them and
    marked it too (round 15's load test: a 500)."""
    import threading

    from django.db import connection, transaction

    from connections.models import lock_pair

    holding, done, errors = threading.Event(), threading.Event(), []

    def request():
        try:
            with transaction.atomic():
                lock_pair(alice.pk, bob.pk)
                holding.set()
                done.wait(10)  # the other connection inserts meanwhile
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=request)
    thread.start()
    try:
        assert holding.wait(5)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            # Autocommit: the foreign key is checked as the insert commits. Under FOR UPDATE
            # it waited, and the lock timeout failed the test.
            StaleSuggestions.objects.create(user=alice)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert StaleSuggestions.objects.filter(user=alice).exists()
    finally:
        done.set()
        thread.join(15)
    assert errors == []

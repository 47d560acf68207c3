"""Conversation races on PostgreSQL: real threads, real transactions, real row locks."""

import pytest

from connections.models import Conversation, Message, Participant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_members_opening_a_conversation_with_each_other_at_once_get_one(
    dave, erin, connect, all_at_once
):
    connect(dave, erin)
    results = all_at_once(
        [
            *(lambda i=i: Conversation.start(dave, erin, f"Ciao Erica {i}") for i in range(4)),
            *(lambda i=i: Conversation.start(erin, dave, f"Ciao Davide {i}") for i in range(4)),
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert Conversation.objects.count() == 1
    conversation = Conversation.objects.get()
    assert {r[0].pk for r in results} == {conversation.pk}
    assert Message.objects.filter(conversation=conversation).count() == 8
    assert Participant.objects.filter(conversation=conversation).count() == 2


def test_the_ordered_pair_constraint_refuses_a_second_conversation(dave, erin):
    from django.db import IntegrityError

    low, high = sorted([dave.pk, erin.pk])
    Conversation.objects.create(user_low_id=low, user_high_id=high, started_by=dave)
    with pytest.raises(IntegrityError):
        Conversation.objects.create(user_low_id=low, user_high_id=high, started_by=erin)
    with pytest.raises(IntegrityError):
        Conversation.objects.create(user_low_id=high, user_high_id=low, started_by=erin)


def test_concurrent_messages_all_land_and_the_last_one_is_the_inbox_preview(
    dave, erin, connect, all_at_once
):
    connect(dave, erin)
    conversation, _m = Conversation.start(dave, erin, "Primo")
    all_at_once([lambda i=i: conversation.post(erin, f"Risposta {i}") for i in range(6)])
    last = Message.objects.filter(conversation=conversation).order_by("-pk").first()
    sides = Participant.objects.filter(conversation=conversation)
    assert {side.last_message_id for side in sides} == {last.pk}
    assert Message.objects.filter(conversation=conversation).count() == 7

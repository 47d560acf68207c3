"""Connections fixtures: erin joins the personas; helpers make connections and requests."""

import pytest
from django.test import Client

from connections.models import Connection, ConnectionRequest

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def erin(make_user):
    return make_user("erin@example.com", "Erica Marino")


@pytest.fixture
def erin_client(erin) -> Client:
    client = Client()
    client.force_login(erin, backend="profiles.backends.ModelBackend")
    return client


@pytest.fixture
def connect():
    """connect(a, b): make two members connections, straight in the table."""

    def make(a, b) -> Connection:
        low, high = sorted([a.pk, b.pk])
        return Connection.objects.create(user_low_id=low, user_high_id=high)

    return make


@pytest.fixture
def request_from(django_capture_on_commit_callbacks):
    """request_from(sender, recipient, message): a pending request, through the model."""

    def make(sender, recipient, message: str = "Ciao!") -> ConnectionRequest:
        with django_capture_on_commit_callbacks(execute=True):
            return ConnectionRequest.send(sender, recipient, message)

    return make

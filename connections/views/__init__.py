"""The connections layer's views: network.py (my network, requests, connect, block) and
profiles.py (the profile page, which composes every layer)."""

from connections.views.home import first_visit, home
from connections.views.network import (
    block,
    connect,
    dismiss,
    my_network,
    remove,
    request_action,
    suggested_message,
    unblock,
)
from connections.views.profiles import PARTS, profile_detail, report_member

__all__ = [
    "PARTS",
    "block",
    "connect",
    "dismiss",
    "first_visit",
    "home",
    "my_network",
    "profile_detail",
    "remove",
    "report_member",
    "request_action",
    "suggested_message",
    "unblock",
]

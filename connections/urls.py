"""URLs of the connections layer, under /rete/."""

from django.urls import path

import config.ids  # noqa: F401  (registers the <id:...> converter)
from connections import views

app_name = "connections"

urlpatterns = [
    path("", views.my_network, name="network"),
    path("richieste/<id:pk>/", views.request_action, name="request_action"),
    path("persone/<id:user_id>/connetti/", views.connect, name="connect"),
    path("persone/<id:user_id>/rimuovi/", views.remove, name="remove"),
    path("persone/<id:user_id>/blocca/", views.block, name="block"),
    path("persone/<id:user_id>/sblocca/", views.unblock, name="unblock"),
    path("persone/<id:user_id>/nascondi/", views.dismiss, name="dismiss"),
]

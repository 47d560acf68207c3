"""URLs of the connections layer, under /rete/."""

from django.urls import path

import config.ids  # noqa: F401  (registers the <id:...> converter)
from connections import views
from connections.views import conversations as talk

app_name = "connections"

urlpatterns = [
    path("", views.my_network, name="network"),
    path("richieste/<id:pk>/", views.request_action, name="request_action"),
    path("persone/<id:user_id>/connetti/", views.connect, name="connect"),
    path("persone/<id:user_id>/rimuovi/", views.remove, name="remove"),
    path("persone/<id:user_id>/blocca/", views.block, name="block"),
    path("persone/<id:user_id>/sblocca/", views.unblock, name="unblock"),
    path("persone/<id:user_id>/nascondi/", views.dismiss, name="dismiss"),
    # Conversations (connections/views/conversations.py); "eventi/" is the push channel,
    # routed by the proxy to the ASGI process (connections/live.py).
    path("messaggi/", talk.inbox, name="inbox"),
    path("messaggi/badge/", talk.badge, name="talk_badge"),
    path("messaggi/impostazioni/", talk.messaging_settings, name="talk_settings"),
    path("messaggi/eventi/", talk.stream_unavailable, name="talk_stream"),
    path("messaggi/scrivi/<id:user_id>/", talk.start, name="talk_start"),
    path("messaggi/<id:pk>/", talk.conversation, name="conversation"),
    path("messaggi/<id:pk>/azione/", talk.conversation_action, name="conversation_action"),
    path("messaggi/<id:pk>/m/<id:message_id>/modifica/", talk.edit_message, name="edit_message"),
    path("messaggi/<id:pk>/m/<id:message_id>/elimina/", talk.delete_message, name="delete_message"),
    path(
        "messaggi/<id:pk>/m/<id:message_id>/segnala/",
        talk.report_one_message,
        name="report_message",
    ),
    path("messaggi/<id:pk>/segnala/", talk.report_whole_conversation, name="report_conversation"),
]

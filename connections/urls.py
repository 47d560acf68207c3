from django.urls import path

from connections import views

app_name = "connections"

urlpatterns = [
    path("", views.my_network, name="network"),
    path("richieste/<int:pk>/", views.request_action, name="request_action"),
    path("persone/<int:user_id>/connetti/", views.connect, name="connect"),
    path("persone/<int:user_id>/rimuovi/", views.remove, name="remove"),
    path("persone/<int:user_id>/blocca/", views.block, name="block"),
    path("persone/<int:user_id>/sblocca/", views.unblock, name="unblock"),
    path("persone/<int:user_id>/nascondi/", views.dismiss, name="dismiss"),
]

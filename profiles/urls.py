"""URLs of the identity layer: notifications, email preferences and unsubscribe, the
suspension notice, the Partita IVA check."""

from django.urls import path

import config.ids  # noqa: F401  (registers the <id:...> converter)
from profiles import views

urlpatterns = [
    path("notifiche/", views.notification_list, name="notification_list"),
    path("notifiche/contatore/", views.notification_badge, name="notification_badge"),
    path("notifiche/<id:pk>/apri/", views.notification_open, name="notification_open"),
    path("sospensione/", views.suspension_notice, name="suspension_notice"),
    path("verifica/partita-iva/", views.verify_vat, name="verify_vat"),
    path("notifiche/<id:pk>/letta/", views.notification_read, name="notification_read"),
    path("notifiche/lette/", views.notification_read_all, name="notification_read_all"),
    path("notifiche/email/", views.email_preferences, name="email_preferences"),
    path("email/disiscriviti/<str:token>/", views.email_unsubscribe, name="email_unsubscribe"),
]

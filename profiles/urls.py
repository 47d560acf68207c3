"""URLs of the identity layer: notifications, the suspension notice."""

from django.urls import path

import config.ids  # noqa: F401  (registers the <id:...> converter)
from profiles import views

urlpatterns = [
    path("notifiche/", views.notification_list, name="notification_list"),
    path("notifiche/<id:pk>/apri/", views.notification_open, name="notification_open"),
    path("sospensione/", views.suspension_notice, name="suspension_notice"),
    path("verifica/partita-iva/", views.verify_vat, name="verify_vat"),
    path("notifiche/lette/", views.notification_read_all, name="notification_read_all"),
]

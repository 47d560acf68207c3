"""The site's URL map; the people pages that compose the layers are wired here."""

import re

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

import config.ids  # noqa: F401  (registers the <id:...> converter)
from config import views
from connections import views as connection_views
from groups import views as group_views
from profiles import views as profile_views

# The admin login goes through allauth: rate limits, verified email and MFA apply there too.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Gilda"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", profile_views.set_language, name="set_language"),
    # The people pages compose the layers, so they are wired here, above all three.
    path("persone/", group_views.directory, name="directory"),
    path("persone/<id:pk>/", connection_views.profile_detail, name="profile_detail"),
    path("eventi/", group_views.event_list, name="events"),
    path("eventi/calendario/", group_views.calendar_settings, name="calendar"),
    path("eventi/calendario/<str:token>.ics", group_views.calendar_feed, name="calendar_feed"),
    path("", include("profiles.urls")),
    path("gruppi/", include("groups.urls")),
    path("rete/", include("connections.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            views.media,
        )
    ]

# Error pages without database access (config/errors.py); a database outage gives a 503.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler429 = "config.errors.too_many_requests"
handler500 = "config.errors.server_error"

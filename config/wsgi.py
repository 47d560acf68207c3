"""WSGI entry point for gunicorn."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# One-time costs a worker pays before it serves, instead of in its first requests (under load,
# the gazetteer's 3 s of CPU held up every request that needed it, twice over with threads).
for path in settings.WSGI_WARM_UP:
    import_string(path)()

import os, sys, cProfile, pstats
from bench.pages import PROD_ENV
os.environ.update(PROD_ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE","config.settings")
import django; django.setup()
from django.test import Client
from profiles.models import User
from bench.seed_large import VIEWER_EMAIL
c = Client(); c.force_login(User.objects.get(email=VIEWER_EMAIL), backend="django.contrib.auth.backends.ModelBackend")
path = sys.argv[1]
for _ in range(3): c.get(path)
pr = cProfile.Profile(); pr.enable()
for _ in range(30): c.get(path)
pr.disable()
st = pstats.Stats(pr); st.sort_stats("tottime").print_stats(25)

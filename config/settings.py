"""Gilda settings: one module, configured by environment variables.

GILDA_ENV picks the environment: dev (the default), test or prod. Unset variables give the
embedded defaults (SQLite, Celery eager, console mail), so a fresh checkout runs with no
configuration. Production sets GILDA_ENV=prod, DATABASE_URL, REDIS_URL, SECRET_KEY,
ALLOWED_HOSTS and MAIL_URL (see .env.example); it refuses to start without SECRET_KEY or
REDIS_URL. The readers and their checks live in config/env.py.
"""

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import (
    caches_from_url,
    celery_eager,
    env_bool,
    env_int,
    env_list,
    env_str,
    gilda_env,
    mailers_from_url,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# dev (the default: `make run` on a fresh machine), test (pytest) or prod. The one switch
# between them; everything below that differs by environment reads PROD.
GILDA_ENV = gilda_env()
PROD = GILDA_ENV == "prod"

DEBUG = env_bool("DEBUG", default=GILDA_ENV == "dev")
SECRET_KEY = secret_key(GILDA_ENV)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PROD else "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "profiles",
    "groups",
    "connections",
]

MIDDLEWARE = [
    # First: health probes come from inside the container, with a Host that ALLOWED_HOSTS refuses.
    "config.middleware.healthz_before_host_check",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A member's own writes refresh their home's cached blocks (connections/home_cache.py).
    "connections.home_cache.forget_after_writes",
    "profiles.middleware.RateLimitedAs429",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.HtmxHistoryMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so that a view reading request.user of a suspended member reaches its
    # process_exception (README, "Trust and safety").
    "profiles.middleware.RefuseSuspended",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# Called by config/wsgi.py as each worker starts: what would otherwise cost its first requests.
WSGI_WARM_UP = ["profiles.gazetteer.load"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "connections.context_processors.notifications",
            ],
        },
    },
]

# Database: SQLite unless DATABASE_URL points at PostgreSQL (psycopg 3 with its pool).
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        from psycopg_pool import ConnectionPool

        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 10),
            # Seconds a request waits for a connection; during an outage it then gets the 503
            # page (config/errors.py) instead of hanging.
            "timeout": env_int("DB_POOL_TIMEOUT", 5),
            # Test each connection as it leaves the pool: after a PostgreSQL restart the dead
            # ones are replaced instead of failing requests.
            "check": ConnectionPool.check_connection,
        }
        # Only config.compiled's hot queries are prepared (they ask for it): Django binds on
        # the client and never prepares. Their plans are generic from the first use. No
        # parallel workers: the site's queries run side by side on few cores, where a search
        # planned in parallel took its two workers' CPU on top of its own 25 ms (16 ms alone;
        # README, Performance, round 10).
        DATABASES["default"]["OPTIONS"] |= {
            "prepare_threshold": 2**31 - 1,
            "options": "-c plan_cache_mode=force_generic_plan"
            f" -c max_parallel_workers_per_gather={env_int('DB_PARALLEL_WORKERS', 0)}",
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the Celery broker and the shared cache (allauth's rate limits need one). The cache
# fails open (config/cache.py): with Redis down, pages, login and signup keep working and rate
# limits are not enforced, with a logged warning.
REDIS_URL = env_str("REDIS_URL")
CACHES = caches_from_url(REDIS_URL)
# Whole pages for visitors are kept this long (config/page_cache.py); 0 turns it off.
VISITOR_PAGE_SECONDS = env_int("VISITOR_PAGE_SECONDS", 30)
# A member's own pages (home, network, own profile, notifications) are kept for them this
# long, keyed also by what this returns for the request: the navigation badges.
MEMBER_PAGE_SECONDS = env_int("MEMBER_PAGE_SECONDS", 60)
MEMBER_PAGE_VARY = "connections.context_processors.badge_key"
# The pages members share (groups, threads, search, events) are kept per kind of reader, with
# each member's own parts filled per request (config/page_cache.py's shared_for_members):
# lists across groups this long (what others change may lag by as much; 0: no shared copies)…
SHARED_PAGE_SECONDS = env_int("SHARED_PAGE_SECONDS", 30)
# …the pages of one thing (a group, a thread, an event) this long, while the thing's
# generation holds, or for the settle time after what others added (at most the above).
SHARED_PAGE_KEEP_SECONDS = env_int("SHARED_PAGE_KEEP_SECONDS", 600)
SHARED_PAGE_SETTLE_SECONDS = min(env_int("SHARED_PAGE_SETTLE_SECONDS", 5), SHARED_PAGE_SECONDS)

# In the database, so that a Redis outage logs nobody out, read through the cache
# (config/sessions.py).
SESSION_ENGINE = "config.sessions"

AUTH_USER_MODEL = "profiles.User"
# Django's and allauth's, reading the user with a query compiled once (profiles/backends.py).
AUTHENTICATION_BACKENDS = [
    "profiles.backends.ModelBackend",
    "profiles.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login, verified by a code before the first login.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
# "Request new code" on the confirm page, up to 3 times, each send rate limited by confirm_email.
ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND = 3
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "profiles.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "profiles.signup.SignupForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Gilda] "
# login_failed: "key" is the address *and* the email (profiles/adapters.py), so wrong passwords
# typed elsewhere never lock the owner out; the per-address limit only slows one network for a
# minute. A password reset (by email, never rate-limited by failed logins) always gets in.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# Rate limits key on the client's address. Behind N reverse proxies that each append to
# X-Forwarded-For, set TRUSTED_PROXY_COUNT=N so the key is the client's, not the proxy's.
# 0 (the default) ignores X-Forwarded-For, which anyone can forge when no proxy strips it.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Gilda"
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"
SOCIALACCOUNT_ONLY = False

# LinkedIn sign-in through allauth's OpenID Connect provider, only when configured.
LINKEDIN_CLIENT_ID = env_str("LINKEDIN_CLIENT_ID")
LINKEDIN_CLIENT_SECRET = env_str("LINKEDIN_CLIENT_SECRET")
SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
if LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET:
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": "linkedin",
            "name": "LinkedIn",
            "client_id": LINKEDIN_CLIENT_ID,
            "secret": LINKEDIN_CLIENT_SECRET,
            "settings": {
                "server_url": "https://www.linkedin.com/oauth",
                "token_auth_method": "client_secret_post",
            },
        }
    )

# Languages: Italian first, English a switch away.
LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "config" / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Rome"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploads: any file over MAX_UPLOAD_SIZE is dropped while it streams in (profiles/uploads.py)
# and the form says so; bodies without files stay under Django's 2.5 MB default.
MAX_UPLOAD_SIZE = env_int("MAX_UPLOAD_SIZE", 5 * 1024 * 1024)
AVATAR_MAX_PIXELS = env_int("AVATAR_MAX_PIXELS", 40_000_000)
FILE_UPLOAD_HANDLERS = [
    "profiles.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_PERMISSIONS = 0o644
# Avatars are small and public (random names): Django serves MEDIA_URL itself unless a
# reverse proxy or a storage bucket does (then set SERVE_MEDIA=false).
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=True)
STORAGES = {
    # Temp file, fsync, then linked into place: no partial file after a full disk.
    "default": {"BACKEND": "profiles.uploads.AtomicFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PROD
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Mail: Django 6.1's MAILERS, from MAIL_URL. Console by default.
MAILERS = mailers_from_url(env_str("MAIL_URL", "console://"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Gilda <noreply@gilda.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Content-Security-Policy: no inline script or style anywhere; scripts carry a nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF, "https://www.linkedin.com"],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Security: strict in prod. Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PROD)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=PROD)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PROD else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The proxy appends the client's address to X-Forwarded-For: rate limits key on it, not on
    # the proxy's own address shared by everyone.
    ALLAUTH_TRUSTED_PROXY_COUNT = 1
WHITENOISE_USE_FINDERS = not PROD
WHITENOISE_AUTOREFRESH = not PROD
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Celery: Redis in prod (a startup error without it, unless CELERY_EAGER=true); in dev, eager
# when REDIS_URL is unset; in test, always eager unless CELERY_EAGER=false (config/env.py).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = celery_eager(GILDA_ENV)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
# Celery's Django fixup closes the database connections every CELERY_DB_REUSE_MAX tasks, and in
# a prefork worker the whole pool with them; unset, around every task (two new PostgreSQL
# backends per task, measured under the load test). The connections go back to the pool after
# each task instead (config/celery.py, return_database_connections).
CELERY_DB_REUSE_MAX = 1_000_000
# A web request publishing a task must never hang on a dead broker: fail fast and let the
# periodic sweep pick the work up again.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    # An unacknowledged task (its worker died) goes back to the queue after this long: twice
    # the longest time limit of any task (300 s, the beat tasks; side effects run inside the
    # outbox runner, 240 s under a 300 s lease). The longest run measured is 12.5 s (38 s on
    # a loaded machine; bench/task_runtimes.py, README: Reliability). A killed worker's side
    # effects do not wait for this: the outbox sweep publishes them again once their lease
    # runs out.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
}
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = TIME_ZONE
# Side effects (profiles/models/outbox.py): an intent published this many seconds ago and still
# not done (its message lost, its worker killed) is published again by the beat sweep.
OUTBOX_REPUBLISH_AFTER = env_int("OUTBOX_REPUBLISH_AFTER", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

GILDA_DEMO_PASSWORD = "gilda-demo-2026"
# Absolute links in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Groups: how long someone whose join request was declined waits before asking again.
GROUPS_REJOIN_COOLDOWN_DAYS = env_int("GROUPS_REJOIN_COOLDOWN_DAYS", 7)
# Q&A: members with fewer answers than this in a group may put at most GROUPS_NEW_MEMBER_MAX_LINKS
# links in a post (groups are for exchange, not advertising).
GROUPS_NEW_MEMBER_ANSWERS = env_int("GROUPS_NEW_MEMBER_ANSWERS", 3)
GROUPS_NEW_MEMBER_MAX_LINKS = env_int("GROUPS_NEW_MEMBER_MAX_LINKS", 2)

# Connections: requests sent per week (withdrawn ones count), tighter for new accounts.
CONNECTIONS_WEEKLY_CAP = env_int("CONNECTIONS_WEEKLY_CAP", 50)
CONNECTIONS_WEEKLY_CAP_NEW = env_int("CONNECTIONS_WEEKLY_CAP_NEW", 10)
CONNECTIONS_NEW_ACCOUNT_DAYS = env_int("CONNECTIONS_NEW_ACCOUNT_DAYS", 14)
# Digests go out from this hour in each member's time zone.
DIGESTS_LOCAL_HOUR = env_int("DIGESTS_LOCAL_HOUR", 8)
# A request to someone who was already asked within these days is recorded, but not notified:
# send-and-withdraw cycles would otherwise flood them.
CONNECTIONS_REPEAT_COOLDOWN_DAYS = env_int("CONNECTIONS_REPEAT_COOLDOWN_DAYS", 7)
# People you may know: rows stored per member (20 are shown: the spare ones refill the list at
# once after a dismissal or a request, before the worker recomputes it).
CONNECTIONS_SUGGESTIONS_PER_USER = env_int("CONNECTIONS_SUGGESTIONS_PER_USER", 30)
# Seconds a worker waits before refreshing the lists a change marked stale: the marks of that
# while are refreshed together, in one reading of the graph around them (README, "Freshness").
# Tests run it at once (0); a worker that runs tasks eagerly never waits.
SUGGESTIONS_REFRESH_DELAY = env_int("SUGGESTIONS_REFRESH_DELAY", 0 if GILDA_ENV == "test" else 5)

# Trust and safety (README, "Trust and safety").
# Accounts younger than this count as new: their reports weigh half, their limits are stricter.
ACCOUNTS_NEW_DAYS = env_int("ACCOUNTS_NEW_DAYS", 7)
# Content is hidden pending review once this many distinct reporters (new or silent ones
# count half) have reported it.
REPORTS_HIDE_AFTER = env_int("REPORTS_HIDE_AFTER", 3)
# Writes per member: kind -> ((count, seconds) for new accounts, (count, seconds) for the rest).
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
RATE_LIMITS = {
    "question": ((3, 3600), (10, 3600)),
    "answer": ((6, 3600), (30, 3600)),
    "comment": ((10, 3600), (60, 3600)),
    "vote": ((30, 3600), (200, 3600)),
    "join_request": ((3, 86400), (10, 86400)),
    "connection_request": ((5, 3600), (20, 3600)),
    "report": ((5, 86400), (30, 86400)),
}
# Conversations (connections/conversations.py): new conversations a member may start a day
# (stricter for accounts younger than CONNECTIONS_NEW_ACCOUNT_DAYS); the push channel's URL
# (served by connections/live.py under uvicorn; the proxy routes that path to it); the
# polling period of open pages, the fallback when the push channel is down.
TALK_DAILY_CAP = env_int("TALK_DAILY_CAP", 30)
TALK_DAILY_CAP_NEW = env_int("TALK_DAILY_CAP_NEW", 5)
# Only production runs the push channel by default: dev and test pages poll (no uvicorn there).
TALK_STREAM_URL = env_str(
    "TALK_STREAM_URL", "/rete/messaggi/eventi/" if GILDA_ENV == "prod" else ""
)
TALK_POLL_SECONDS = env_int("TALK_POLL_SECONDS", 5)
# Origins whose pages may open the stream when it is served from another origin (tests, or a
# separate host for the stream); empty when the proxy serves it on the site's own origin.
TALK_STREAM_ORIGINS = env_list("TALK_STREAM_ORIGINS")
if "://" in TALK_STREAM_URL:
    # A stream on its own host: the pages' Content-Security-Policy must let them connect.
    SECURE_CSP["connect-src"].append("/".join(TALK_STREAM_URL.split("/", 3)[:3]))

"""Settings for the phone-farm control plane. Everything comes from the environment.

Every variable is optional and listed in ``.env.example``; the defaults give a working
single-machine install (SQLite in ``var/``, django-q2 on the ORM broker, no services to run).
"""

import socket
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from csp.constants import NONE, SELF

from tikmatrix_site.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_timeouts,
    random_secret_key,
    read_or_create_secret,
)
from tikmatrix_site.files import keep_private

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything this install writes (database, keys, media, caches) lives under one folder.
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var").resolve()
# Only this user may read it (it holds the keys, the database and its sessions): new files 0600,
# new folders 0700, and an older install's readable var/ is fixed (tikmatrix_site/files.py).
keep_private(VAR_DIR)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or read_or_create_secret(
    VAR_DIR / "secret_key", random_secret_key
)
# Comma-separated Fernet keys: the first encrypts, all decrypt (add a new key in front to rotate,
# then run `manage.py rotate_field_key`).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY") or [
    read_or_create_secret(VAR_DIR / "field_encryption_key", lambda: Fernet.generate_key().decode())
]

# Where the server listens and who it answers.
BIND = env_str("BIND", "127.0.0.1")
PORT = env_int("PORT", 50809, minimum=1, maximum=65535)
_WILDCARD_BINDS = {"0.0.0.0", "::", "[::]"}
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or (
    ["*"] if BIND in _WILDCARD_BINDS else ["127.0.0.1", "localhost", "[::1]", BIND]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind a TLS-terminating proxy an operator sets HTTPS=1: secure cookies, HSTS, redirect.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
# Opt-ins with consequences beyond this app (other subdomains, browsers' preload list).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# Those two stay off unless asked for, so `check --deploy` need not say so every time.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 14 * 24 * 3600
# Content-Security-Policy (django-csp) on every answer: scripts, styles, images and requests
# only from this server, no inline script or style (templates use static/ files; a test checks),
# nothing may frame the pages or plant a <base>. Swagger UI at /api/docs/ passes it too (its
# init script is served as a file: web/api/urls.py). img-src allows data: for the icons
# Swagger UI's stylesheet carries inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# This machine's identity in a multi-host farm, and its adb server.
FARM_HOST = env_str("FARM_HOST") or socket.gethostname()
ADB_SERVER_HOST = env_str("ADB_SERVER_HOST", "127.0.0.1")
ADB_SERVER_PORT = env_int("ADB_SERVER_PORT", 5037, minimum=1, maximum=65535)
# The device watcher starts a local adb server when none answers (0: wait for one instead).
ADB_SERVER_AUTOSTART = env_bool("ADB_SERVER_AUTOSTART", True)
# `make demo`: how many simulated phones, on ports from DEMO_BASE_PORT (0: any free ports).
DEMO_PHONES = env_int("DEMO_PHONES", 5, minimum=0, maximum=1000)
DEMO_BASE_PORT = env_int("DEMO_BASE_PORT", 47101, minimum=0, maximum=65535)
WORKERS = env_int("WORKERS", 2, minimum=1, maximum=200)
WEB_WORKERS = env_int("WEB_WORKERS", 2, minimum=1, maximum=64)

# Files: uploads land in MEDIA_ROOT; post materials may only be read from MATERIAL_ROOTS.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media").resolve()
MEDIA_URL = "/media/"
keep_private(MEDIA_ROOT)  # phone screenshots; usually inside VAR_DIR already
# Uploads get the umask's modes too (Django's default would chmod them 0644).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
MATERIAL_ROOTS = [
    Path(p).resolve() for p in env_list("MATERIAL_ROOTS", sep=":") or [str(VAR_DIR / "materials")]
]
MATERIAL_UPLOAD_ROOT = MATERIAL_ROOTS[0]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MATERIAL_MAX_UPLOAD_MB = env_int("MATERIAL_MAX_UPLOAD_MB", 500, minimum=1)

# Licences: Ed25519 public keys (base64) whose signed licence keys this install accepts.
LICENCE_PUBLIC_KEYS = env_list("LICENCE_PUBLIC_KEYS")
LICENCE_TRIAL_DAYS = 14
# The trial's signed start, kept outside the database too (core/licensing.py, "the trial").
LICENCE_TRIAL_FILE = VAR_DIR / "trial"

# API compatibility mode: loopback callers need no token (how TikMatrix clients call today).
API_OPEN_ON_LOCALHOST = env_bool("API_OPEN_ON_LOCALHOST", False)
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "6000/min")

INSTALLED_APPS = [
    "core.apps.AuditedAdminConfig",  # django.contrib.admin, every change audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    # Sign-in attempt limits. Listed before our apps: its signal receivers must run before
    # team.signins' (which reads what axes decided about the attempt).
    "axes",
    # Our apps, lowest layer first (README "Code map"; `make lint` checks the layers).
    "core",
    "devices",
    "tasks",
    "web",
    "team",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a sign-in that axes refused into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tikmatrix_site.urls"
WSGI_APPLICATION = "tikmatrix_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.role",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL"), sqlite_default=VAR_DIR / "tikmatrix.sqlite3"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared between processes (web workers, cluster, watcher): throttling and django-q2 stats.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# django-q2: our Task rows are the record of truth and django-q2 is only the transport, so it
# must never re-run a task by itself (max_attempts=1) and its timeout stays below `retry`.
TASK_TIMEOUT_MAX = env_int("TASK_TIMEOUT_MAX", 3600, minimum=10)
# Per-script run time limits, e.g. "post=900,follow=120" (defaults: each script's time_limit).
TASK_TIMEOUTS = env_timeouts("TASK_TIMEOUTS")
# Each farm host consumes its own queue: phones are USB-attached, so a task must run on the host
# that owns its phone. All hosts share the queue `name` (it is also the signing salt).
FARM_QUEUE = "farm-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in FARM_HOST)
Q_CLUSTER = {
    "name": "tikmatrix",
    "cluster_name": FARM_QUEUE,
    "workers": WORKERS,
    "timeout": TASK_TIMEOUT_MAX,
    "retry": TASK_TIMEOUT_MAX + 600,
    "max_attempts": 1,
    "ack_failures": True,
    "queue_limit": WORKERS,
    "save_limit": 1000,
    "catch_up": False,
    "label": "Worker queue",
    "ALT_CLUSTERS": {},
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.2

# Execution engine. Workers beat every HEARTBEAT_SECONDS; a running task whose heartbeat is
# older than HEARTBEAT_STALE_SECONDS (worker killed, host lost) is failed by the reaper.
DISPATCH_INTERVAL = 0.25
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 3, minimum=1)
HEARTBEAT_STALE_SECONDS = env_int("HEARTBEAT_STALE_SECONDS", 30, minimum=5)
# A post or comment whose outcome is unknown (confirmation late, phone lost after the final tap)
# is checked in the app this many seconds later, before anything is done again.
VERIFY_DELAY_SECONDS = env_int("VERIFY_DELAY_SECONDS", 10, minimum=0)
# On shutdown (SIGTERM) running scripts stop at their next step and hand their tasks back; a
# script still busy after this many seconds is cut off (its task handed back all the same).
WORKER_SHUTDOWN_SECONDS = env_int("WORKER_SHUTDOWN_SECONDS", 8, minimum=1)
# Failed tasks are retried automatically up to this many times, after a random 5–60 s delay.
AUTO_RETRY_MAX = env_int("AUTO_RETRY_MAX", 0, minimum=0, maximum=10)
AUTO_RETRY_DELAY = (5, 60)
# 1 = tasks on one phone run in random order instead of oldest-due first.
RANDOM_ORDER_PER_DEVICE = env_bool("RANDOM_ORDER_PER_DEVICE", False)
# Default of the owner's setting "install the typing keyboard on phones" (core.farm_settings):
# scripts type through uiautomator2's keyboard app, installed when missing; 0 = clipboard paste.
PHONE_KEYBOARD_INSTALL = env_bool("PHONE_KEYBOARD_INSTALL", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# axes first: a locked-out username or address is refused before the password is hashed, so
# a flood of guesses costs a few queries each, not a PBKDF2 run.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in limits: SIGNIN_FAILURE_LIMIT failures for one username, or from one address, lock that
# username or address for SIGNIN_LOCKOUT_MINUTES (an owner can unlock sooner on the team page).
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A guess while locked out neither counts nor extends the lock: refusing it costs reads only.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "team.signins.lockout_response"
# Our audit log records sign-ins (team.signins); axes keeps only the counters it needs.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# The client's address is REMOTE_ADDR, as in the audit log (X-Forwarded-For can be forged).
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("pt-br", "Português (Brasil)")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Tests and DEBUG serve straight from the finders; no collectstatic needed there.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"api": API_THROTTLE_RATE},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "TikMatrix-compatible farm API",
    "DESCRIPTION": "Task, device, account, material and licence API (drop-in for /api/v1).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The loopback mode (core.api.access) has no header to document; the schema's description
    # explains it. Here, not in the view's settings, so that `check` (which builds the schema
    # with these settings) agrees with /api/schema/.
    "AUTHENTICATION_WHITELIST": [
        "core.tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes logs every attempt at INFO; our audit log has them, its warnings are enough.
        "axes": {"level": "WARNING"},
    },
}

"""Settings, all from the environment (twelve-factor); safe defaults only for development."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-terminsync-key-change-me"
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
                 if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# Absolute base of the URLs shown to admins and employees (resource-specific CalDAV URL).
TERMINSYNC_BASE_URL = os.environ.get("TERMINSYNC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "branches",
    "scheduler",
    "servicecreds",
    "caldav_endpoint",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # sessions, request.user and messages: not on CalDAV paths (config/dav_middleware.py). CSRF stays
    # Django's own (check --deploy looks for it by name): the DAV view is csrf_exempt, so it never acts there.
    "config.dav_middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.dav_middleware.AuthenticationMiddleware",
    "config.dav_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",  # OperationalError in a view → 503 + Retry-After
    "scheduler.middleware.expansion_budget",  # R1: a bounded number of recurrence instances per request
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Server-side parameters, so psycopg prepares a statement on its fifth run in a connection
    # (``prepare_threshold``, which Django turns off by default) and PostgreSQL stops planning it
    # again: planning the one-object read of a GET took longer than running it (EXPLAIN: 0.2-1.3 ms
    # against 0.1 ms), and a phone's requests repeat the same few statements with other values
    # (issue 13). Behind a pooler in transaction mode (PgBouncer before 1.21) prepared statements
    # break: set DB_SERVER_SIDE_BINDING=0 there.
    if os.environ.get("DB_SERVER_SIDE_BINDING", "1") == "1":
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent writers (gunicorn workers, a phone and the admin at once): WAL lets readers go on
    # while one writes; IMMEDIATE takes the write lock at BEGIN, so a transaction waits (busy timeout,
    # 20 s) instead of failing with "database is locked" when it upgrades from read to write.
    # The connection stays open like PostgreSQL's (DB_CONN_MAX_AGE): opening one runs the PRAGMAs
    # below and registers Django's SQL functions, a third of a phone's warm request (issue 13).
    # In WAL mode an idle connection in autocommit holds no lock and no snapshot.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    })
    # Tests use a file, not Django's shared-cache in-memory database: with shared cache SQLite
    # answers "table is locked" at once instead of waiting, so the live-server race tests would
    # test a locking mode production never runs in.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
    (BASE_DIR / "var").mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("Deutsch")), ("en", _("Englisch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
if not DEBUG:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# HTTPS in production (manage.py check --deploy is clean with DEBUG=0). Not with DEBUG, so that
# `make run` and the tests work on plain http. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO (the proxy must set, never pass on, that header),
# otherwise every request looks like http and SECURE_SSL_REDIRECT loops.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the whole domain to HTTPS in every browser for years: the domain
        # owner's decision (SECURE_HSTS_PRELOAD=1), not a default of this application.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (os.environ["SECURE_PROXY_SSL_HEADER"], "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sent on every response, also with DEBUG, so that the tests prove the pages work under it
# (config/middleware.py). Scripts only from our own static files. The one inline handler, the
# language switch in templates/base.html (onchange="this.form.submit()"), is allowed by its hash
# ('unsafe-hashes'); inline styles (base.html, the admin's <pre style>) are allowed: they cannot run code.
CONTENT_SECURITY_POLICY = os.environ.get("CONTENT_SECURITY_POLICY", "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-hashes' 'sha256-osjxnKEPL/pQJbFk1dKsF7PYFmTyMWGmVSiL9inhxJY='",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]))
# The header that carries the client's address behind our reverse proxy, e.g. HTTP_X_FORWARDED_FOR
# (right-most entry) or HTTP_X_REAL_IP; empty: REMOTE_ADDR (servicecreds/client_address.py).
TRUSTED_PROXY_HEADER = os.environ.get("TRUSTED_PROXY_HEADER", "")

LOGIN_URL = "/account/login/"
LOGIN_REDIRECT_URL = "/account/"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "terminsync@localhost")

# Phone set-up (U5): SMS like Django's e-mail backends (servicecreds/sms/). Without SMS_BACKEND the
# console backend prints messages in development; with DEBUG off SMS is off ("disabled") until set.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "servicecreds.sms.backends.console.SmsBackend" if DEBUG
                             else "servicecreds.sms.backends.disabled.SmsBackend")
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")      # servicecreds.sms.backends.http: POST JSON here
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")  # sent as "Authorization: Bearer <token>"
SMS_SENDER = os.environ.get("SMS_SENDER", "Terminsync")     # the "from" field (name or number)
SMS_RATE_LIMIT = int(os.environ.get("SMS_RATE_LIMIT", "5"))  # messages per credential and hour
SETUP_LINK_HOURS = int(os.environ.get("SETUP_LINK_HOURS", "72"))  # how long a set-up link can be started
HISTORY_KEEP_DAYS = int(os.environ.get("HISTORY_KEEP_DAYS", "365"))  # manage.py prunehistory: appointment history
PHONENUMBER_DEFAULT_REGION = os.environ.get("PHONENUMBER_DEFAULT_REGION", "DE")  # "0171 …" means +49 171 …
PHONENUMBER_DB_FORMAT = "E164"

# The verified-password cache and the login throttle live here. In production with several
# workers, set REDIS_URL so that all workers share them (one PBKDF2 per phone, not per worker).
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": "terminsync"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework_xml.renderers.XMLRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework_xml.parsers.XMLParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    # A2: a login with "REST-API nutzen" plus model permissions, also for any future view.
    "DEFAULT_PERMISSION_CLASSES": ["scheduler.api.permissions.ApiUser", "scheduler.api.permissions.ModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Contract refusals (scheduler.exceptions) as RFC 9457 problem details with the field named.
    "EXCEPTION_HANDLER": "scheduler.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {"TITLE": "Terminsync API", "VERSION": "1.0.0"}

# Everything to stderr (the process manager collects it). django.request at ERROR carries the
# traceback of every unhandled exception, with DEBUG off too (Django's default sends those only to
# mail_admins). Secrets: Django hides sensitive POST fields and settings in its reports; the filter
# removes Authorization values, tokens and URL passwords from messages and tracebacks.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.log_filters.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]}},
    "loggers": {
        "terminsync": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

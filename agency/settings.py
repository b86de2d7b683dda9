"""Stormdesk settings: one module; production differs only by environment variables.

Required variables (SECRET_KEY, DATABASE_URL, REDIS_URL, CELERY_BROKER_URL, CELERY_RESULT_BACKEND)
fail at start when missing. Development reads them from `.env` (see `.env.example`).
"""

import ipaddress
from pathlib import Path

import environ
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Real environment variables win over the file.
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)

# Host names are case-insensitive; brands' hosts are stored and looked up in lower case.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="agency.localhost").lower()
PUBLIC_PORT = env.str("PUBLIC_PORT", default="")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.list("EXTRA_ALLOWED_HOSTS", default=[])]
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[
        f"http://*.{BASE_DOMAIN}:{PUBLIC_PORT or 80}",
        f"http://{BASE_DOMAIN}:{PUBLIC_PORT or 80}",
    ],
)

# --- Tenancy -------------------------------------------------------------------------------------
SHARED_APPS = [
    # Django runs the command of the first app that has it: clients overrides django_tenants'
    # migrate/migrate_schemas to keep the template schema migrated too.
    "clients",
    "django_tenants",
    "agency",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "monitoring",
    "playbooks",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "clients.Client"
TENANT_DOMAIN_MODEL = "clients.Domain"
# New tenants are cloned from this schema, which `migrate_schemas` keeps migrated.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Set the search path once per schema switch, not before every query.
TENANT_LIMIT_SET_CALLS = True
DEFAULT_NOT_FOUND_TENANT_VIEW = "clients.views.unknown_host"
PUBLIC_SCHEMA_URLCONF = "agency.urls_public"
ROOT_URLCONF = "agency.urls_tenant"

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    # First, so that every answer carries the policy, also those of the middlewares below.
    "csp.middleware.CSPMiddleware",
    "clients.middleware.TenantMiddleware",
    "agency.request_limits.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Before the access check, so that its refusals speak the person's language too.
    "agency.middleware.LanguageMiddleware",
    "agency.middleware.TenantAccessMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
                "agency.context_processors.portal",
            ],
        },
    },
]

WSGI_APPLICATION = "agency.wsgi.application"

# --- Users, sessions, login ----------------------------------------------------------------------
AUTH_USER_MODEL = "agency.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# One login for the portal and every brand host.
SESSION_COOKIE_DOMAIN = env.str("SESSION_COOKIE_DOMAIN", default=BASE_DOMAIN)
CSRF_COOKIE_DOMAIN = SESSION_COOKIE_DOMAIN
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# TLS: on by default in production (DEBUG=false), off in development and tests (no TLS there).
# HSTS covers the brand hosts too (include subdomains) and asks for browsers' preload list.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# Behind a proxy that ends TLS: the header that says the request came over https, e.g.
# "HTTP_X_FORWARDED_PROTO,https" (only when the proxy always sets it: clients can send it too).
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER is '<header>,<value>'.")
SECURE_PROXY_SSL_HEADER = (
    (_proxy_ssl_header[0], _proxy_ssl_header[1]) if _proxy_ssl_header else None
)
# Content-Security-Policy of every answer, pages and API: scripts, styles and images come from
# our own host only (static files, never a CDN, nothing inline); forms post to our hosts only,
# the portal and every brand host (log-out on a brand page posts to the portal).
_our_hosts = [BASE_DOMAIN, f"*.{BASE_DOMAIN}"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [
            csp.SELF,
            *(f"{host}:{PUBLIC_PORT}" if PUBLIC_PORT else host for host in _our_hosts),
        ],
    }
}
LOGIN_REDIRECT_URL = "/"
# How often the agency desk asks for its brands' rows (seconds).
DESK_POLL_SECONDS = env.int("DESK_POLL_SECONDS", default=15)
# Brand pages post to the portal (log out): with Django's default "same-origin" policy browsers
# send `Origin: null` on such cross-host posts, and the CSRF origin check refuses them.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For is believed: behind one, the
# client is the right-most address in it that is not one of these. Empty: the connection's
# address is the client, whatever the header says (agency.throttling). A bad entry fails here.
TRUSTED_PROXIES = [
    str(ipaddress.ip_network(proxy, strict=False))
    for proxy in env.list("TRUSTED_PROXIES", default=[])
]

ACCOUNT_ADAPTER = "agency.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_LOGOUT_ON_GET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Stormdesk"

# --- Cache: keys carry the tenant's schema -----------------------------------------------
REDIS_URL = env.str("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="stormdesk"),
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    }
}

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True  # a killed worker's task is redelivered, so tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Unacknowledged messages of a killed worker come back after this many seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Mentions whose processing message was lost (broker restart, crash between commit and
    # send) are queued again: the hand-off loses nothing.
    "mentions-requeue-unprocessed": {
        "task": "monitoring.tasks.mentions_requeue_unprocessed_all",
        "schedule": 60.0,
    },
    # Detection reads each bin once it has closed and ends waves that went quiet, also for a
    # brand that receives nothing.
    "waves-tick": {
        "task": "monitoring.tasks.waves_tick_all",
        "schedule": 60.0,
    },
    # Pull sources whose next poll is due (each connector sets its own interval and backoff).
    "sources-poll": {
        "task": "monitoring.tasks.sources_poll_due_all",
        "schedule": 30.0,
    },
    # Mentions Meta's webhooks gave by ids only, read in full when the run queued after the
    # webhook was lost or the Graph API failed.
    "mentions-complete": {
        "task": "monitoring.tasks.mentions_complete_all",
        "schedule": 300.0,
    },
}
# --- The watch's notifications ------------------------------------------------------------------
# Pages never wait behind processing: escalation steps and sends have a queue of their own. Every
# worker serves both queues (the queues below); a worker of its own for pages (`-Q pages`, as
# bin/demo runs one) keeps a storm of processing across many brands from delaying them.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery"), Queue("pages"))
CELERY_TASK_ROUTES = {
    "monitoring.tasks.escalation_step": {"queue": "pages"},
    "agency.tasks.notification_send": {"queue": "pages"},
}
# The outbox is swept for what is due or was lost; failed sends wait base * 2^n seconds (capped).
CELERY_BEAT_SCHEDULE["outbox-flush"] = {"task": "agency.tasks.outbox_flush", "schedule": 15.0}
# Shift reminders half an hour ahead (agency.reminders): every 5 minutes, each once.
CELERY_BEAT_SCHEDULE["shift-reminders"] = {
    "task": "agency.tasks.shift_reminders",
    "schedule": 300.0,
}
# Escalation steps late by more than 20 s (a lost task) are resumed; so are lost hand-offs.
# Gaps in cover within this many days are told to the account managers (agency.gap_notices).
GAP_NOTICE_DAYS = env.int("GAP_NOTICE_DAYS", default=7)
CELERY_BEAT_SCHEDULE["coverage-gaps"] = {
    "task": "agency.tasks.coverage_gaps_notify",
    "schedule": 900.0,
}
# Incident steps past due tell the incident's lead (playbooks.services).
CELERY_BEAT_SCHEDULE["incident-steps-overdue"] = {
    "task": "playbooks.tasks.incident_steps_overdue_all",
    "schedule": 60.0,
}
# The open incident's part of the desk: its clock and the wave's other platforms (playbooks.desk).
CELERY_BEAT_SCHEDULE["desk-incidents"] = {
    "task": "playbooks.tasks.desk_incidents_refresh_all",
    "schedule": 60.0,
}
# Employees who have not read a notice in its minutes are reminded once (playbooks.notices).
CELERY_BEAT_SCHEDULE["notice-reminders"] = {
    "task": "playbooks.tasks.notice_reminders_all",
    "schedule": 60.0,
}
# A missed check reminds the person on duty, then the backup (monitoring.services.watch).
CELERY_BEAT_SCHEDULE["watch-reminders"] = {
    "task": "monitoring.tasks.watch_reminders_all",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["escalations-audit"] = {
    "task": "monitoring.tasks.escalations_audit_all",
    "schedule": 15.0,
}
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=15.0)
NOTIFY_RETRY_CAP_SECONDS = env.float("NOTIFY_RETRY_CAP_SECONDS", default=600.0)
# Web Push: the agency's VAPID key (PEM, or base64 of its DER); empty: one derived from
# SECRET_KEY. The subject is how push services reach the agency about its messages.
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="mailto:desk@stormdesk.localhost")

# Connector API roots by connector class name (e.g. {"xrecentsearch": "http://127.0.0.1:9000"}):
# empty in production; tests point them at recorded responses served locally.
CONNECTOR_BASE_URLS: dict[str, str] = env.json("CONNECTOR_BASE_URLS", default={})

# --- API -----------------------------------------------------------------------------------------
# The largest body any door (webhooks, batch API, forms) takes; beyond it: 413 in JSON. The
# batch doors also take at most monitoring.payloads.MAX_ITEMS items.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Fails closed: every view checks tenant membership unless it names stricter classes.
    "DEFAULT_PERMISSION_CLASSES": ["agency.permissions.TenantAccess"],
    # drf-spectacular's, plus each operation's error answers (the `Error` component).
    "DEFAULT_SCHEMA_CLASS": "agency.api_schema.AutoSchema",
    "DEFAULT_METADATA_CLASS": "agency.api_metadata.Metadata",
    "EXCEPTION_HANDLER": "agency.api_errors.exception_handler",
    # JSON that cannot be stored (lone surrogates, NaN, deep nesting) is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "agency.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stormdesk API",
    "DESCRIPTION": (
        f"The crisis desk's API. On the agency host (`{BASE_DOMAIN}`) it serves the agency: "
        f"brands and onboarding. On a brand host (`<slug>.{BASE_DOMAIN}`) it serves that "
        "brand only."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # drf-spectacular's own hook, then the webhooks (plain Django views) in the brand schema.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "agency.api_schema.document_webhooks",
    ],
    # The schema and its UI are behind the same membership check as the API itself.
    "SERVE_PERMISSIONS": ["agency.permissions.TenantAccess"],
    # Swagger UI's assets are served from the installed package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several fields share (platform and origin_platform, level
    # and peak_level), instead of one per field.
    "ENUM_NAME_OVERRIDES": {
        "Platform": "monitoring.models.Platform",
        "Level": "monitoring.models.Level",
        "AlertStatusEnum": "monitoring.models.AlertStatus",
    },
}

# Fernet keys for secrets at rest, newest first; empty: derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# --- Files, e-mail, i18n -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
EXPORT_ROOT = Path(env.str("EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports")))
if not EXPORT_ROOT.is_absolute():
    EXPORT_ROOT = BASE_DIR / EXPORT_ROOT
# Uploaded mention imports, kept until processed (and for inspection after).
IMPORT_ROOT = Path(env.str("IMPORT_ROOT", default=str(BASE_DIR / "var" / "imports")))
if not IMPORT_ROOT.is_absolute():
    IMPORT_ROOT = BASE_DIR / IMPORT_ROOT
# Rows ingested per transaction of an import: the most a killed worker can have to redo.
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=2000)
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# A provider's API instead of SMTP: one of django-anymail's backends (e.g.
# anymail.backends.postmark.EmailBackend) and its keys as JSON ({"POSTMARK_SERVER_TOKEN": ...}).
if env.str("EMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")
ANYMAIL = env.json("ANYMAIL", default={})
# A page must not wait on a mail server that hangs: the outbox tries again.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Stormdesk <desk@stormdesk.localhost>")

LANGUAGE_CODE = "en"
# The interface's languages (the agencies this is for work in them); each person picks one, a
# brand's language is the default on its pages (agency.middleware.LanguageMiddleware).
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("sv", "Svenska")]
LOCALE_PATHS = [BASE_DIR / "agency" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant": {"()": "django_tenants.log.TenantContextFilter"}},
    "formatters": {
        "tenant": {"format": "%(asctime)s %(levelname)s [%(schema_name)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["tenant"], "formatter": "tenant"}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

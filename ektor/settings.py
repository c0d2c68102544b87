"""Ektor settings: everything that differs between machines comes from the environment.

A `.env` file beside manage.py (or the file named by ENV_FILE) is read when present;
variables already set in the environment win. `.env.example` documents every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from dotenv import load_dotenv

from ektor.env import ConfigurationError, email_settings, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(os.environ.get("ENV_FILE") or BASE_DIR / ".env", override=False)

DEBUG = env_bool("DEBUG", False)
APP_VERSION = env_str("APP_VERSION", "1.0.0")

_INSECURE_KEY_PREFIX = "django-insecure-"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigurationError(
            "SECRET_KEY is not set. With DEBUG off the app refuses to start without a real "
            "secret key: set SECRET_KEY to a long random value (see .env.example); for "
            "development set DEBUG=true in .env (scripts/run.sh writes such a .env when there "
            "is none)."
        )
    SECRET_KEY = _INSECURE_KEY_PREFIX + "development-only-key-never-use-in-production"
elif not DEBUG and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith(_INSECURE_KEY_PREFIX)
):
    # The same bar as Django's security.W009 check.
    raise ConfigurationError(
        "SECRET_KEY is too weak for DEBUG off: use at least 50 random characters."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "ektor.admin_site.EktorAdminConfig",
    # Before django.contrib.auth: its `changepassword` command replaces Django's.
    "accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_tasks",
    # Before ektor: ektor/admin.py replaces its admin page with ours.
    "ektor.apps.TaskResultsConfig",
    "ektor",
    "tenancy",
    "audit",
    "customers",
    "pools",
    "catalog",
    "operations",
    "billing",
    "support",
    # Above the domain apps: their cross-app admin links (office/admin.py).
    "office",
]

MIDDLEWARE = [
    "ektor.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "ektor.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ektor.db.router.ReplicaPinMiddleware",
    "tenancy.middleware.CompanyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ektor.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "ektor.urls"
WSGI_APPLICATION = "ektor.wsgi.application"
APPEND_SLASH = False

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
            ],
        },
    },
]

# Database: the embedded SQLite file by default, MySQL/MariaDB with a mysql:// URL.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"


def database(url: str) -> dict:
    """One connection's settings from its URL."""
    db = dj_database_url.parse(url)
    if db["ENGINE"] == "django.db.backends.mysql":
        db["ENGINE"] = "ektor.db.mysql"  # Django's, with faster date parsing (see its module)
        db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
        db["CONN_HEALTH_CHECKS"] = True
        db["OPTIONS"] = {
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
        }
        db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and a busy timeout let the dev server and commands share the file.
        db["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return db


DATABASES = {"default": database(DATABASE_URL)}
# Read replicas of the MySQL primary (ektor/db/router.py): the API's lists and statements and
# the admin's changelists read from one of them; writes, reads in a write's transaction and a
# user's reads for REPLICA_PIN_SECONDS after their last write go to the primary; a replica
# lagging more than REPLICA_MAX_LAG_SECONDS (or failing) is skipped, as checked at most every
# REPLICA_CHECK_SECONDS per process.
for _n, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    _replica = database(_url)
    if not _replica["ENGINE"] == DATABASES["default"]["ENGINE"] == "ektor.db.mysql":
        raise ConfigurationError(
            "DATABASE_REPLICA_URLS: replicas are mysql:// URLs of a MySQL/MariaDB primary's "
            "replicas (DATABASE_URL must be mysql:// too)."
        )
    # A replica that does not answer is skipped, so it must not hold a request long.
    _replica["OPTIONS"]["connect_timeout"] = 2
    # In tests the runner creates the test database on the primary only; replication brings
    # it to the replica, which reads it under the same name (a mirror takes only the NAME).
    _replica["TEST"]["MIRROR"] = "default"
    DATABASES[f"replica_{_n}"] = _replica
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["ektor.db.router.ReplicaRouter"] if DATABASE_REPLICAS else []
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 10)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 5)
# A replica may be REPLICA_MAX_LAG_SECONDS behind, as last seen up to REPLICA_CHECK_SECONDS
# ago: a writer pinned for less could read a replica that has not got their write yet.
REPLICA_PIN_SECONDS = env_int(
    "REPLICA_PIN_SECONDS", REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS
)
if DATABASE_REPLICAS and REPLICA_PIN_SECONDS < REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS:
    raise ConfigurationError(
        "REPLICA_PIN_SECONDS must be at least REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS "
        f"({REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS}): a writer's reads would otherwise "
        "reach a replica that lags behind their write."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# MariaDB cannot build unique constraints on expressions (Lower(email)); there the columns'
# own UNIQUE indexes under the case-insensitive utf8mb4_unicode_ci collation give the same rule.
SILENCED_SYSTEM_CHECKS = ["models.W044"]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Cache: shared by all server processes (rate limits live here). Redis when configured,
# otherwise a database table (created by a migration: ektor/migrations/0001_cache_table.py).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {
        "default": {
            # Django's database cache with an atomic incr (the rate limits count with it).
            "BACKEND": "ektor.cache.DatabaseCache",
            "LOCATION": "ektor_cache",
        }
    }

# How long a cached item list or item lives (catalog/cache.py; writes retire them sooner); 0
# turns the catalog's cache off (the benchmark's uncached figures).
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 600)

# Background tasks (ektor/tasks.py): stored in the database, run by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Email (ektor/email.py): EMAIL_URL empty prints messages (development); smtp://... sends.
_email = email_settings(env_str("EMAIL_URL"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "office@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FROM_NAME = env_str("EMAIL_FROM_NAME", "Ektor back office")
EMAIL_REPLY_TO = env_str("EMAIL_REPLY_TO")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# Days from an invoice's issue to its due date, as the admin's invoice form suggests it.
PAYMENT_TERMS_DAYS = env_int("PAYMENT_TERMS_DAYS", 30)
USE_I18N = True
USE_TZ = True

# The company the upgrade to several companies creates for the rows already there (and the
# first company of a new installation): its slug (X-Tenant-ID, --company) and name.
COMPANY_SLUG = env_str("COMPANY_SLUG", "main")
COMPANY_NAME = env_str("COMPANY_NAME", "My pool company")
# Raise on a query of a tenant model that does not name its company (tenancy/scoping.py).
TENANCY_TRIPWIRE = env_bool("TENANCY_TRIPWIRE", DEBUG)

STATIC_URL = "static/"
# Where collectstatic writes (and whitenoise serves from); the image builds it in the default.
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")


def s3_storage(
    *,
    bucket: str,
    region: str,
    endpoint_url: str,
    access_key: str,
    secret_key: str,
    url_seconds: int,
) -> dict:
    """The private bucket's backend (django-storages): objects stored with a private ACL,
    never overwritten, handed out only as presigned links that end after `url_seconds`.
    Without keys, boto3 finds its credentials as usual (an instance or task role)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "region_name": region or None,
            "endpoint_url": endpoint_url or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": url_seconds,
            "file_overwrite": False,
            # Short timeouts: /health asks the bucket and must answer while it is down.
            "client_config": Config(
                signature_version="s3v4",
                connect_timeout=3,
                read_timeout=20,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }


# Object storage (files such as visit photos): a folder outside the static files by default,
# a private S3-compatible bucket when STORAGE_BUCKET is set (production keeps nothing on local
# disk). Files are handed out only as signed links that end after FILE_URL_SECONDS
# (ektor/files.py); no URL serves the folder itself.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
FILE_URL_SECONDS = env_int("FILE_URL_SECONDS", 300)
if not 1 <= FILE_URL_SECONDS <= 604800:
    # S3 signs links for at most 7 days; a link of 0 seconds would never work.
    raise ConfigurationError("FILE_URL_SECONDS must be between 1 and 604800 (7 days).")
if MEDIA_ROOT.resolve().is_relative_to(STATIC_ROOT.resolve()):
    # whitenoise serves everything under STATIC_ROOT to anyone.
    raise ConfigurationError("MEDIA_ROOT must not be inside STATIC_ROOT: files would be public.")
STORAGE_BUCKET = env_str("STORAGE_BUCKET")
STORAGES = {
    "default": (
        s3_storage(
            bucket=STORAGE_BUCKET,
            region=env_str("STORAGE_REGION"),
            endpoint_url=env_str("STORAGE_ENDPOINT_URL"),
            access_key=env_str("STORAGE_ACCESS_KEY_ID"),
            secret_key=env_str("STORAGE_SECRET_ACCESS_KEY"),
            url_seconds=FILE_URL_SECONDS,
        )
        if STORAGE_BUCKET
        else {"BACKEND": "ektor.files.LocalStorage", "OPTIONS": {"location": MEDIA_ROOT}}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Without collectstatic (tests, a first run) whitenoise serves from the finders.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)

# Security: with DEBUG off every protection `check --deploy` asks for is on; each can be
# switched off by the variable of the same name (e.g. behind a TLS-terminating proxy).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Number of reverse proxies in front of the app whose X-Forwarded-For entries are trusted.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/(api/|health$|openapi\.json$).*"
CORS_EXPOSE_HEADERS = ["X-Request-Id", "X-Total-Count", "Link", "Retry-After"]

API_DOCS_ENABLED = env_bool("API_DOCS_ENABLED", DEBUG)
REGISTRATION_OPEN = env_bool("REGISTRATION_OPEN", False)
BOOTSTRAP_ADMIN_USERNAME = env_str("BOOTSTRAP_ADMIN_USERNAME")
BOOTSTRAP_ADMIN_EMAIL = env_str("BOOTSTRAP_ADMIN_EMAIL")
BOOTSTRAP_ADMIN_PASSWORD = env_str("BOOTSTRAP_ADMIN_PASSWORD")
# Rate limits of auth/token (and the admin's sign-in form, in the same budget), auth/register
# and auth/refresh ("<count>/<s|min|hour|day>"), counted per endpoint in the shared cache: per
# client address; per username named in the body from one address (token and register); and
# per username from anywhere, a higher ceiling (see accounts/throttling.py).
AUTH_RATE_LIMIT = env_str("AUTH_RATE_LIMIT", "20/min")
AUTH_USERNAME_RATE_LIMIT = env_str("AUTH_USERNAME_RATE_LIMIT", "10/min")
AUTH_USERNAME_CEILING = env_str("AUTH_USERNAME_CEILING", "30/min")

# The largest request body the API reads (bytes, any content type); larger ones are a 413.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.SessionJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["ektor.api.permissions.ModelPermissions"],
    "DEFAULT_RENDERER_CLASSES": ["ektor.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "ektor.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["ektor.api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "ektor.api.pagination.ArrayLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "ektor.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "ektor.api.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

JWT_ACCESS_MINUTES = env_int("JWT_ACCESS_MINUTES", 15)
JWT_REFRESH_DAYS = env_int("JWT_REFRESH_DAYS", 7)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_DAYS),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env_str("JWT_SECRET_KEY") or SECRET_KEY,
    "USER_ID_CLAIM": "sub",
    "USER_ID_FIELD": "id",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ektor back office API",
    "DESCRIPTION": "REST API of the Ektor pool service back office (v1).",
    "VERSION": APP_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["ektor.api.schema.canonical_paths"],
    # Several resources have a `status`: each choice set gets its own name in the document (the
    # invoice's keeps StatusEnum, as the generated clients know it, from when it was the only one).
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "billing.models.InvoiceStatus",
        "LsiStatusEnum": "operations.chemistry.STATUSES",
        "RequestStatusEnum": "support.models.RequestStatus",
        "RequestKindEnum": "support.models.RequestKind",
        "PlanStatusEnum": "operations.models.PlanStatus",
        "FrequencyEnum": "operations.models.Frequency",
        "RateTypeEnum": "operations.models.RateType",
        "ChemicalsEnum": "operations.models.Chemicals",
        "BillingTimingEnum": "operations.models.BillingTiming",
        "VisitStatusEnum": "operations.models.VisitStatus",
        "VisitKindEnum": "operations.models.VisitKind",
        "SkipReasonEnum": "operations.models.SkipReason",
        # A pool's kind shows on the pool and on the route's stops.
        "PoolKindEnum": "pools.models.PoolKind",
    },
    "TAGS": [
        {"name": "auth", "description": "Sign-in, tokens, sessions and the caller's account"},
        {"name": "users", "description": "The members of the current company (admins)"},
        {"name": "memberships", "description": "Adding existing people to the company"},
        {"name": "companies", "description": "The companies the caller belongs to"},
        {"name": "company", "description": "The current company's settings"},
        {"name": "customers"},
        {"name": "properties", "description": "Service addresses of customers"},
        {"name": "pools", "description": "The pools, spas and fountains of properties"},
        {"name": "equipment", "description": "Pumps, filters, heaters ... of pools"},
        {"name": "items", "description": "The catalog: services, chemicals, parts and products"},
        {"name": "stock_movements", "description": "The stock ledger of the catalog's items"},
        {"name": "invoices"},
        {"name": "payments"},
        {"name": "credits", "description": "Customer credits and their application to invoices"},
        {"name": "billing_runs", "description": "Billing a month from operations, exactly once"},
        {"name": "reports", "description": "Customer statements"},
        {"name": "visits", "description": "Stops: start, complete, skip, cancel; photos, report"},
        {"name": "water", "description": "Water chemistry: the saturation index (chart-v1)"},
        {"name": "service_plans", "description": "Pools' recurring service: weekday, rhythm, rate"},
        {"name": "schedule", "description": "Creating the visits of the plans for a range of days"},
        {"name": "route", "description": "A technician's stops of a day, in route order"},
        {"name": "requests", "description": "Customers' petitions, complaints and claims"},
        {"name": "files", "description": "Stored files, through the signed links the API gives"},
        {"name": "audit_events", "description": "Who changed what and when (admins; read only)"},
    ],
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "ektor.logging.RequestContextFilter"}},
    "formatters": {"json": {"()": "ektor.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our middleware logs every request once; Django's own request logger would repeat it.
        "django.request": {"level": "CRITICAL"},
        "django.server": {"level": "WARNING"},
    },
}

# The pages' policy (the admin, /docs, /redoc): everything from our own origin, and no inline
# script anywhere (Swagger UI's bootstrap is a file, ReDoc's fonts are ours). Inline styles stay
# allowed: ReDoc and Swagger UI inject <style> elements, and so do the admin's editable
# changelists and the printable statement. ReDoc runs its search in a blob: worker.
CONTENT_SECURITY_POLICY = env_str("CONTENT_SECURITY_POLICY") or (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; worker-src 'self' blob:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

# Permissions come from the role's group, cached per process (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.RolePermissionBackend"]

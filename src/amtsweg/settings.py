"""One settings module for every deployment, driven by environment variables.

The embedded default (no variables set) runs on SQLite and local files under ``var/``; at
scale the same code is pointed at PostgreSQL and Redis with ``DATABASE_URL`` and ``REDIS_URL``.
See docs/operations.md for every variable.
"""

import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("AMTSWEG_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use SECRET_KEY if set, otherwise a key generated once into var/ (never committed)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "amtsweg.core",
    "amtsweg.accounts",
    "amtsweg.mailbox",
    "amtsweg.territory",
    "amtsweg.catalog",
    "amtsweg.forms",
    "amtsweg.services",
    "amtsweg.submissions",
    "amtsweg.payments",
    "amtsweg.documents",
    "amtsweg.jobs",
    "amtsweg.audit",
    "amtsweg.cases",
    "amtsweg.ikz",
    "amtsweg.funding",
    "amtsweg.dashboard",
    "amtsweg.portal",
    "amtsweg.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "amtsweg.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "amtsweg.api.ratelimit.ApiRateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "amtsweg.accounts.middleware.SessionTimeoutMiddleware",
    "amtsweg.accounts.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "amtsweg.urls"
WSGI_APPLICATION = "amtsweg.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amtsweg.mailbox.context_processors.postfach",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'amtsweg.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web server and the task worker share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if redis_url := os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": redis_url}}
    # Sessions are read from Redis and written through to the database (they survive a
    # Redis restart); every request that reads its session spares a database query.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "amtsweg.accounts.validators.MaximumLengthValidator"},
]
# Login throttling: failures per e-mail address and per client address within the window.
LOGIN_THROTTLE_PER_ACCOUNT = int(os.environ.get("LOGIN_THROTTLE_PER_ACCOUNT", "5"))
LOGIN_THROTTLE_PER_IP = int(os.environ.get("LOGIN_THROTTLE_PER_IP", "30"))
LOGIN_THROTTLE_WINDOW = int(os.environ.get("LOGIN_THROTTLE_WINDOW", "900"))
PASSWORD_RESET_TIMEOUT = 3600
SESSION_COOKIE_AGE = 12 * 3600  # the longest absolute timeout (trust level basis)

# E-mail: SMTP when EMAIL_HOST is set, otherwise files under var/mail (embedded default).
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Amtsweg <noreply@amtsweg.example>")
if email_host := os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = email_host
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": VAR_DIR / "media"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
                    if not DEBUG else
                    "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Security defaults (see docs/security.md).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
HTTPS = env_bool("HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The platform's signing key for routing destinations (FIT-Connect shape), PS512.
SIGNING_KEY_FILE = Path(os.environ.get("SIGNING_KEY_FILE", VAR_DIR / "signing_key.json"))

# Public API rate limit: requests per window per client address.
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "600"))
API_RATE_WINDOW = int(os.environ.get("API_RATE_WINDOW", "60"))

# OpenID Connect identity providers (for example BundID's OIDC interface), as a JSON list of
# {"key", "label", "issuer", "client_id", "client_secret", "levels": [...],
#  "acr": {"substanziell": "<their acr value>", ...}}; see docs/operations.md.
IDENTITY_OIDC_PROVIDERS = json.loads(os.environ.get("IDENTITY_OIDC_PROVIDERS", "[]"))

# SAML 2.0 identity providers (BundID), JSON list of {"key", "label", "idp_entity_id",
# "idp_metadata" (the IdP's metadata XML), "levels": [...]}; needs Debian's xmlsec1.
IDENTITY_SAML_PROVIDERS = json.loads(os.environ.get("IDENTITY_SAML_PROVIDERS", "[]"))

# The test eID provider (fake identities for demos); never on in production.
TEST_EID_ENABLED = env_bool("TEST_EID_ENABLED")

# Demo data (Behörden with invented addresses) is loaded by `amtsweg run` unless switched off.
DEMO_DATA = env_bool("DEMO_DATA", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Issue 11, finding 10 (deeply nested JSON): limits of core.safejson.loads, the one parser of
# JSON from outside (API bodies, the designer's JSON fields and imports, JSON inside FIM files).
JSON_MAX_BYTES = int(os.environ.get("JSON_MAX_BYTES", str(2 * 1024 * 1024)))
JSON_MAX_DEPTH = int(os.environ.get("JSON_MAX_DEPTH", "64"))

# Issue 11, finding 3 (no request size limit): every route accepts REQUEST_BODY_LIMIT bytes of
# body; routes with files or JSON documents allow more (core.bodylimit.allow), never more than
# REQUEST_BODY_MAX. Checked before the body is read (413 otherwise).
REQUEST_BODY_LIMIT = int(os.environ.get("REQUEST_BODY_LIMIT", str(1024 * 1024)))
REQUEST_BODY_MAX = int(os.environ.get("REQUEST_BODY_MAX", str(100 * 1024 * 1024)))
# After the session, language and user are known (the 413 page needs them); nothing before it
# reads the body (CsrfViewMiddleware reads POST in process_view, which runs after it).
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "amtsweg.core.bodylimit.RequestBodyLimitMiddleware")

# Issue 11, finding 16 (OpenAPI documents and answers): every error answer under /api/ is
# problem+json, also those ninja makes itself (405).
MIDDLEWARE.append("amtsweg.api.problems.ApiProblemMiddleware")

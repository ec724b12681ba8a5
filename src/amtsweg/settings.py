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
# var/ holds keys, sessions (the SQLite file), mails with reset links and uploaded files: only
# the platform's own user may read it. Files this process creates are private (umask 077), the
# folder is made 0700; `amtsweg check --deploy` refuses a folder or key file others can read.
os.umask(0o077)
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


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

CSRF_FAILURE_VIEW = "amtsweg.urls.csrf_failure"

MIDDLEWARE = [
    "amtsweg.core.clientip.ForwardedProtoMiddleware",
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
                "amtsweg.staffnav.staff_nav",
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
# Django's model backend, except that demo logins work only while DEMO_DATA is on.
AUTHENTICATION_BACKENDS = ["amtsweg.accounts.backends.AccountBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "amtsweg.accounts.validators.MaximumLengthValidator"},
]
# Login throttling (accounts/throttle.py), failures within the window: per account and client
# (or known device), per account across all clients (the ceiling), per client address.
LOGIN_THROTTLE_PER_ACCOUNT = int(os.environ.get("LOGIN_THROTTLE_PER_ACCOUNT", "5"))
LOGIN_THROTTLE_PER_ACCOUNT_TOTAL = int(os.environ.get("LOGIN_THROTTLE_PER_ACCOUNT_TOTAL", "50"))
LOGIN_THROTTLE_PER_IP = int(os.environ.get("LOGIN_THROTTLE_PER_IP", "30"))
LOGIN_THROTTLE_WINDOW = int(os.environ.get("LOGIN_THROTTLE_WINDOW", "900"))
# A browser that logged in to an account is a known device of it for this long (seconds).
LOGIN_DEVICE_COOKIE_AGE = int(os.environ.get("LOGIN_DEVICE_COOKIE_AGE", str(180 * 86400)))
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
# Tighter, on top: checking a definition or converting a FIM file (no login; each request may
# compile up to a definition's pattern budget) per client address and window.
CHECK_RATE_LIMIT = int(os.environ.get("CHECK_RATE_LIMIT", "10"))
CHECK_RATE_WINDOW = int(os.environ.get("CHECK_RATE_WINDOW", "60"))

# OpenID Connect identity providers (for example BundID's OIDC interface), as a JSON list of
# {"key", "label", "issuer", "client_id", "client_secret", "levels": [...],
#  "acr": {"substanziell": "<their acr value>", ...}}; see docs/operations.md.
IDENTITY_OIDC_PROVIDERS = json.loads(os.environ.get("IDENTITY_OIDC_PROVIDERS", "[]"))

# SAML 2.0 identity providers (BundID), JSON list of {"key", "label", "idp_entity_id",
# "idp_metadata" (the IdP's metadata XML), "levels": [...]}; needs Debian's xmlsec1.
IDENTITY_SAML_PROVIDERS = json.loads(os.environ.get("IDENTITY_SAML_PROVIDERS", "[]"))

# Production is the default of the code (docs/security.md, "Production checklist"): demo
# data, the test eID and the test payment are off unless switched on, which only `make run`
# does. With DEMO_DATA off, the demo logins (addresses at DEMO_EMAIL_DOMAIN) cannot log in
# and `amtsweg run` disables them; `amtsweg check --deploy` and every production start refuse
# demo data, the test eID and the test payment (see amtsweg/core/checks.py).
DEMO_DATA = env_bool("DEMO_DATA", False)
DEMO_EMAIL_DOMAIN = "demo.example"
# The test eID provider (fake identities for demos); never on in production.
TEST_EID_ENABLED = env_bool("TEST_EID_ENABLED")
# The test payment page ("Pay" / "Cancel"); follows DEMO_DATA unless set.
TEST_PAYMENT_ENABLED = env_bool("TEST_PAYMENT_ENABLED", DEMO_DATA)

# Checks an operator has reviewed and accepts (comma-separated ids such as amtsweg.E004);
# each one silenced is a decision to write down (docs/operations.md).
SILENCED_SYSTEM_CHECKS = [c.strip() for c in os.environ.get("SILENCED_SYSTEM_CHECKS", "")
                          .split(",") if c.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Reverse proxies in front of the platform (issue 11, findings 2 and 6): comma-separated
# addresses or networks, or "none" when clients connect directly. Production needs it set.
# Unset, empty or "none": REMOTE_ADDR is the client and X-Forwarded-For is ignored; a value
# that is no address or network stops the start (core.clientip reads the header).
TRUSTED_PROXIES_RAW = os.environ.get("TRUSTED_PROXIES")
TRUSTED_PROXIES_CONFIGURED = bool((TRUSTED_PROXIES_RAW or "").strip())


def _trusted_proxies(raw: str | None) -> list[str]:
    import ipaddress

    from django.core.exceptions import ImproperlyConfigured

    entries = [e.strip() for e in (raw or "").split(",") if e.strip()]
    if [e.lower() for e in entries] == ["none"]:
        return []
    try:
        return [str(ipaddress.ip_network(e, strict=False)) for e in entries]
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None


TRUSTED_PROXIES = _trusted_proxies(TRUSTED_PROXIES_RAW)
# Where throttle counters live, never per process: "cache" (Redis, shared by every process
# and node) when REDIS_URL is set; else "file" on SQLite (a SQLite file of its own beside the
# database, THROTTLE_FILE, shared by the processes of this one node, no write in the main
# database per API request) and "database" on PostgreSQL (one row per counter, atomic upserts,
# shared by every node).
THROTTLE_STORE = os.environ.get("THROTTLE_STORE", "cache" if os.environ.get("REDIS_URL") else (
    "file" if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else "database"))
THROTTLE_FILE = Path(os.environ.get("THROTTLE_FILE", VAR_DIR / "throttle.sqlite3"))
# Mails to an address a stranger types (registration, password reset, resend confirmation,
# organisation invitations): requests per target address, and distinct target addresses per
# client address (a Bürgerbüro: many citizens behind one address), within the window.
MAIL_THROTTLE_PER_ADDRESS = int(os.environ.get("MAIL_THROTTLE_PER_ADDRESS", "5"))
MAIL_THROTTLE_PER_CLIENT = int(os.environ.get("MAIL_THROTTLE_PER_CLIENT", "60"))
MAIL_THROTTLE_WINDOW = int(os.environ.get("MAIL_THROTTLE_WINDOW", "3600"))

# Issue 11, finding 4: wrong second-factor codes are counted per account across logins; every
# SECOND_FACTOR_LOCK_AFTER wrong codes lock the second factor, first for
# SECOND_FACTOR_LOCK_SECONDS, then twice as long each time, at most ..._MAX_SECONDS.
SECOND_FACTOR_LOCK_AFTER = int(os.environ.get("SECOND_FACTOR_LOCK_AFTER", "5"))
SECOND_FACTOR_LOCK_SECONDS = int(os.environ.get("SECOND_FACTOR_LOCK_SECONDS", "300"))
SECOND_FACTOR_LOCK_MAX_SECONDS = int(os.environ.get("SECOND_FACTOR_LOCK_MAX_SECONDS", "86400"))

# Issue 11, finding 11: besides length, similarity to e-mail and names, and Django's common
# passwords: no repetitions or sequences, and none of the shipped list of leaked passwords.
AUTH_PASSWORD_VALIDATORS = [
    *AUTH_PASSWORD_VALIDATORS,
    {"NAME": "amtsweg.accounts.validators.PredictablePasswordValidator"},
    {"NAME": "amtsweg.accounts.validators.BreachedPasswordValidator"},
    # outside tester, N7: not only the person's names, address or the platform's words
    {"NAME": "amtsweg.accounts.validators.PersonalWordsPasswordValidator"},
]

# Finding 7 (issue 11), webhook SSRF: user-configured URLs are called by core/outbound.py
# only, https only and only to public addresses. WEBHOOK_ALLOW_HTTP allows plain http (demos
# and tests; refused by `check --deploy`); WEBHOOK_ALLOWED_NETWORKS lists networks (CIDR,
# comma-separated) that may be called although they are not public, e.g. a Fachverfahren in
# the Kommune's own data centre, or 127.0.0.0/8 for a test receiver.
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP")
WEBHOOK_ALLOWED_NETWORKS = os.environ.get("WEBHOOK_ALLOWED_NETWORKS", "")

# Finding 15 (issue 11), audit chain: entries are HMACed with the audit key, which is not in
# the database (audit/keys.py). AUDIT_KEY: base64 of 32 bytes, the same on all nodes; unset,
# a key is generated once into var/audit_key (0600). It is independent of the master key
# (FIELD_ENCRYPTION_KEY): keep it as long as the log. AUDIT_OLD_KEYS: former audit keys,
# comma-separated, newest first, that still verify older entries after a rotation.
# AUDIT_HEADS_FILE: where `audit_verify --checkpoint` (and `amtsweg run` every
# AUDIT_CHECKPOINT_EVERY seconds) keeps the signed heads; put it outside the database's reach.
AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
AUDIT_OLD_KEYS = [k.strip() for k in os.environ.get("AUDIT_OLD_KEYS", "").split(",") if k.strip()]
AUDIT_HEADS_FILE = os.environ.get("AUDIT_HEADS_FILE", str(VAR_DIR / "audit_heads.json"))
AUDIT_CHECKPOINT_EVERY = int(os.environ.get("AUDIT_CHECKPOINT_EVERY", "3600"))
# Issue 11, finding 10 (deeply nested JSON): limits of core.safejson.loads, the one parser of
# JSON from outside (API bodies, the designer's JSON fields and imports, JSON inside FIM files).
JSON_MAX_BYTES = int(os.environ.get("JSON_MAX_BYTES", str(2 * 1024 * 1024)))
JSON_MAX_DEPTH = int(os.environ.get("JSON_MAX_DEPTH", "64"))

# Issue 11, finding 3 (no request size limit): every route accepts REQUEST_BODY_LIMIT bytes of
# body; routes with files or JSON documents allow more (core.bodylimit.allow), never more than
# REQUEST_BODY_MAX. Checked before the body is read (413 otherwise).
REQUEST_BODY_LIMIT = int(os.environ.get("REQUEST_BODY_LIMIT", str(1024 * 1024)))
REQUEST_BODY_MAX = int(os.environ.get("REQUEST_BODY_MAX", str(100 * 1024 * 1024)))
# Within a route's allowance, a route that knows the limit of each file field (an application
# step, core.bodylimit.limit_files) drops a file as soon as it passes that limit, instead of
# spooling all of it first (outside tester: a 25 MB file on a 10 MB field was read whole).
FILE_UPLOAD_HANDLERS = [
    "amtsweg.core.bodylimit.PerFileLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# After the session, language and user are known (the 413 page needs them); nothing before it
# reads the body (CsrfViewMiddleware reads POST in process_view, which runs after it).
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "amtsweg.core.bodylimit.RequestBodyLimitMiddleware")

# Issue 11, finding 16 (OpenAPI documents and answers): every error answer under /api/ is
# problem+json, also those ninja makes itself (405).
MIDDLEWARE.append("amtsweg.api.problems.ApiProblemMiddleware")

# Issue 11, finding 12: `Cache-Control: no-store` on every answer that may carry personal
# data (personal paths, or a request with a session or an Authorization header); outside the
# session middleware, so that it sees the session of the request and the final answer.
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
                  "amtsweg.core.nostore.NoStoreMiddleware")

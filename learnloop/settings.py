"""The one settings module. Every setting a deployer may change is a LEARNLOOP_* variable,
documented in docs/configuration.md (a test fails when one is missing there)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"LEARNLOOP_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("DATA_DIR", "var")).resolve()
# The data folder holds private interview notes (the SQLite database) and keys: its owner only.
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
DATA_DIR.chmod(0o700)


def _secret_key() -> str:
    configured = env("SECRET_KEY")
    if configured:
        return configured
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Written aside and linked into place: processes starting together on a new data folder
        # (a server and its worker, two test runs) all read the one key that won, never a
        # half-written file.
        written = DATA_DIR / f".secret_key.{os.getpid()}"
        written.write_text(secrets.token_urlsafe(50))
        written.chmod(0o600)
        try:
            os.link(written, path)
        except FileExistsError:
            pass
        finally:
            written.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]
BASE_URL = env("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Outbound requests to private addresses (a tracker on the intranet) must be allowed explicitly.
ALLOW_PRIVATE_DESTINATIONS = env_bool("ALLOW_PRIVATE_DESTINATIONS")
HTTP_TIMEOUT = float(env("HTTP_TIMEOUT", "10"))


def secret(name: str) -> str:
    """A secret setting: the file LEARNLOOP_<NAME>_FILE names (read at start, surrounding
    whitespace ignored, for secrets mounts), else LEARNLOOP_<NAME>."""
    path = env(f"{name}_FILE")
    return Path(path).read_text().strip() if path else env(name)


# Encrypts integration secrets at rest. Recommended: a key of its own, kept apart from the data
# folder; without one it is derived from the secret key (docs/configuration.md).
ENCRYPTION_KEY = secret("ENCRYPTION_KEY")
# Keys still accepted for reading during a key rotation (learnloop rotate-key), comma-separated.
OLD_ENCRYPTION_KEYS = [k.strip() for k in env("OLD_ENCRYPTION_KEYS").split(",") if k.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "ninja",  # serves the API docs' Swagger UI from its own static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "learnloop.accounts",
    "learnloop.incidents",
    "learnloop.analysis",
    "learnloop.reviews",
    "learnloop.actions",
    "learnloop.narratives",
    "learnloop.trackers",
    "learnloop.costs",
    "learnloop.insights",
    "learnloop.publishing",
    "learnloop.portal",
    "learnloop.mail",
    "learnloop.audit",
    "learnloop.intake",
    "learnloop.chat",
    "learnloop.webhooks",
    "mozilla_django_oidc",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "learnloop.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "learnloop.middleware.NulInAddressMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "learnloop.audit.trail.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "learnloop.accounts.middleware.ViewerTimezoneMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Every page: scripts only from learnloop's own files, never inline (narratives are written by
# people; whatever slips past the sanitiser must still not run), no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "img-src": [SELF, "data:"],
        "style-src": [SELF, UNSAFE_INLINE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "learnloop.urls"
WSGI_APPLICATION = "learnloop.wsgi.application"

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
                "learnloop.accounts.context.membership",
                "learnloop.accounts.context.sign_in",
            ],
            "builtins": ["learnloop.accounts.templatetags.learnloop"],
        },
    },
]

_database_url = env("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    # Parameters bound by PostgreSQL, and a statement run five times on a connection prepared
    # there (psycopg's default, which Django turns off): PostgreSQL then plans it once per
    # connection. A create through the API took 2.2 ms of PostgreSQL's CPU, now 1.0 ms.
    # Prepared statements live in a session: PgBouncer must pool in session mode.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
    # Test runs in parallel (developers, CI) each get their own throwaway database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
else:
    _sqlite = DATA_DIR / "learnloop.sqlite3"
    # Created owner-only before SQLite opens it; SQLite gives its -wal and -shm files the
    # database file's permissions.
    os.close(os.open(_sqlite, os.O_CREAT | os.O_WRONLY, 0o600))
    for _file in (_sqlite, _sqlite.with_name(_sqlite.name + "-wal")):
        if _file.exists():
            _file.chmod(0o600)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(_sqlite),
            "OPTIONS": {
                # WAL: readers go on while one writer writes. IMMEDIATE: no lock-upgrade deadlocks.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Kept open between requests, as on PostgreSQL: a new connection reads the schema
            # again, which cost a write more than its own work.
            "CONN_MAX_AGE": 60,
            # Tests use a file too (not the shared in-memory database, whose table locks fail
            # concurrent writers at once instead of letting them wait their turn as WAL does).
            "TEST": {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password guessing: after LEARNLOOP_LOGIN_FAILURE_LIMIT failures, the account and, separately,
# the address are locked for LEARNLOOP_LOGIN_LOCK_MINUTES (django-axes); admins lift a lock on
# /settings/sign-in-locks/. A success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "learnloop.accounts.sso.Backend",
    "django.contrib.auth.backends.ModelBackend",
]
# Single sign-on with OpenID Connect: on when LEARNLOOP_OIDC_ISSUER names the provider (its
# endpoints come from its discovery document). See docs/configuration.md.
OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
OIDC_NAME = env("OIDC_NAME", "single sign-on")
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = secret("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
OIDC_ROLE_CLAIM = env("OIDC_ROLE_CLAIM", "groups")
# "group=role,group=role": a person gets the highest role any of their groups maps to.
OIDC_ROLES = {
    group.strip(): role.strip()
    for group, _, role in (p.partition("=") for p in env("OIDC_ROLES").split(",") if "=" in p)
}
OIDC_DEFAULT_ROLE = env("OIDC_DEFAULT_ROLE", "member").strip()  # empty: no group, no entry
OIDC_ORGANISATION = env("OIDC_ORGANISATION")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the hint for logging out at the provider too
OIDC_CREATE_USER = True
OIDC_TIMEOUT = 10
OIDC_OP_LOGOUT_URL_METHOD = "learnloop.accounts.sso.logout_url"
LOGIN_REDIRECT_URL_FAILURE = "/login/"
# With single sign-on, password sign-in can be switched off for everyone but the break-glass
# accounts (comma-separated emails), which keep it for when the provider is down.
PASSWORD_LOGIN = env_bool("PASSWORD_LOGIN", True)
BREAK_GLASS_ACCOUNTS = {
    e.strip().lower() for e in env("BREAK_GLASS_ACCOUNTS").split(",") if e.strip()
}
if OIDC_ISSUER:  # logging out continues at the provider: the logout form may lead there
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(OIDC_ISSUER)
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("LOGIN_LOCK_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_CLIENT_IP_CALLABLE = "learnloop.accounts.addresses.client_address"
AXES_VERBOSE = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in learnloop's own audit trail
# How many proxies in front of learnloop append to X-Forwarded-For (0: none, REMOTE_ADDR is the
# client). Behind one TLS-terminating proxy, 1.
TRUSTED_PROXIES = int(env("TRUSTED_PROXIES", "0"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

MEDIA_ROOT = DATA_DIR / "files"  # uploaded files; `learnloop backup` carries them
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# `learnloop check` says what HTTPS needs in learnloop's words (learnloop.W002), in place of
# Django's four warnings about the settings LEARNLOOP_HTTPS sets; HSTS for subdomains and the
# browsers' preload list are choices a deployer makes knowingly (LEARNLOOP_HSTS_*), not defects.
SILENCED_SYSTEM_CHECKS = [
    "security.W004",
    "security.W008",
    "security.W012",
    "security.W016",
    "security.W005",
    "security.W021",
]
# Served over HTTPS (directly or behind a TLS-terminating proxy that sets X-Forwarded-Proto):
# cookies only over TLS, plain HTTP redirected, and browsers told to keep to HTTPS (HSTS).
HTTPS = env_bool("HTTPS")
if HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    if TRUSTED_PROXIES:  # only a proxy of ours may say the request came in over TLS
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS")

# Background work (deliveries of published narratives, events to subscribers, invitations,
# actions filed in trackers) is queued in the database itself, so the embedded default needs no
# other service; a task enqueued inside a transaction commits with it. `learnloop worker` runs
# the tasks of every queue.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "trackers"],
    }
}

# Mail goes through the organisation's own server: plain (port 25), STARTTLS (587) or implicit
# TLS (465), with a login when LEARNLOOP_SMTP_USER is set.
EMAIL_BACKEND = "learnloop.mail.backend.SmtpBackend"
EMAIL_HOST = env("SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(env("SMTP_PORT", "25"))
SMTP_SECURITY = env("SMTP_SECURITY", "none").strip().lower()
if SMTP_SECURITY not in ("none", "starttls", "tls"):
    raise ImproperlyConfigured(
        f"LEARNLOOP_SMTP_SECURITY is '{SMTP_SECURITY}': say none, starttls or tls."
    )
EMAIL_USE_TLS = SMTP_SECURITY == "starttls"
EMAIL_USE_SSL = SMTP_SECURITY == "tls"
EMAIL_HOST_USER = env("SMTP_USER")
EMAIL_HOST_PASSWORD = secret("SMTP_PASSWORD")
EMAIL_TIMEOUT = int(env("SMTP_TIMEOUT", "20"))
SMTP_CA_FILE = env("SMTP_CA_FILE")  # trust this authority too (a company's own)
DEFAULT_FROM_EMAIL = env("FROM_EMAIL", "learnloop@localhost")
REPLY_TO_EMAIL = env("REPLY_TO")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The HTTP client logs each request's URL, and a webhook's URL is its secret.
    "filters": {"mask_urls": {"()": "learnloop.lib.redact.MaskUrls"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {name: {"filters": ["mask_urls"]} for name in ("httpx", "httpcore")},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

"""SecureScope settings, read from the environment (django-environ).

No environment at all gives the embedded default: SQLite and TLS material under DATA_DIR, an
in-process cache as credential vault and scans on a thread pool inside the web process.
DATABASE_URL and REDIS_URL switch to the production shape: Postgres, Redis as vault and as the
django-q2 broker, scans in `qcluster` workers. `.env.example` documents every variable.

Importing this module creates nothing: manage.py and the WSGI module make DATA_DIR and the
generated secret key first (securescope.datadir).
"""

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from securescope.datadir import (
    BASE_DIR,
    DATABASE_FILE_NAME,
    STATIC_DIR_NAME,
    data_dir,
    installation_secret_key,
)
from securescope.redis_safety import redis_url_problem

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DATA_DIR = data_dir()

SECRET_KEY = env.str("SECRET_KEY", default="") or installation_secret_key(DATA_DIR)
# The resource hash is an HMAC of the ARN: stable across scans so diffs work, and computable by
# anyone who knows both the ARN and this key (documented in the README).
RESOURCE_HASH_KEY = (
    env.str("RESOURCE_HASH_KEY", default="")
    or hmac.new(SECRET_KEY.encode(), b"securescope resource hash", hashlib.sha256).hexdigest()
)


def _identifier_keys(mode: str, keys: list[str]) -> list[str]:
    """IDENTIFIER_KEY, checked against RESOURCE_IDENTIFIERS: a bad combination stops start-up."""
    if mode not in ("none", "encrypted"):
        raise ImproperlyConfigured(
            f"RESOURCE_IDENTIFIERS must be 'none' or 'encrypted', not {mode!r}."
        )
    if mode == "encrypted" and not keys:
        raise ImproperlyConfigured(
            "RESOURCE_IDENTIFIERS=encrypted needs IDENTIFIER_KEY, a Fernet key of its own (not "
            "SECRET_KEY): python3 -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            # The key itself stays out of the message: it would end up in logs.
            raise ImproperlyConfigured(
                f"IDENTIFIER_KEY: key {position} is not a Fernet key (32 url-safe base64 bytes)."
            ) from None
    return keys


# "none": the database holds resource hashes only; names and ARNs are revealed for a while with
# keys the user pastes. "encrypted": each scan also stores its resources' ARNs and Name tags
# encrypted with IDENTIFIER_KEY (the README says what that trades away).
RESOURCE_IDENTIFIERS = env.str("RESOURCE_IDENTIFIERS", default="none")
# Fernet keys, comma-separated: the first encrypts, each one decrypts (rotation). Never derived
# from SECRET_KEY: a leaked SECRET_KEY alone must not open the stored inventory.
IDENTIFIER_KEY = _identifier_keys(RESOURCE_IDENTIFIERS, env.list("IDENTIFIER_KEY", default=[]))
# How long names and ARNs revealed with pasted keys stay in the encrypted cache for that session.
REVEAL_TTL_SECONDS = env.int("REVEAL_TTL_SECONDS", default=1800)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "securescope.local"])
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=["https://localhost:8443", "https://127.0.0.1:8443", "https://securescope.local:8443"],
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "securescope",
    "scans",
    "findings",
    "rules",
    "advice",
    "findings.api",
    # django-ninja's templates and its vendored Swagger UI: the API docs page needs no CDN.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "securescope.access.ReadPermissionMiddleware",
    "securescope.access.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "securescope.urls"
WSGI_APPLICATION = "securescope.wsgi.application"

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
                "securescope.severity_floor.severity_context",
            ],
        },
    },
]

# An empty value (an uncommented `DATABASE_URL=` line) means the embedded default too.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{DATA_DIR / DATABASE_FILE_NAME}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Scan threads write concurrently: WAL lets readers go on, IMMEDIATE transactions queue
    # writers instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# For a throwaway Redis on this host only (the test suite's): no password needed there.
REDIS_ALLOW_NO_AUTH = env.bool("REDIS_ALLOW_NO_AUTH", default=False)
if REDIS_URL:
    if problem := redis_url_problem(REDIS_URL, allow_no_auth=REDIS_ALLOW_NO_AUTH):
        raise ImproperlyConfigured(problem)
    VAULT_CACHE = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Vault and memo values are Fernet tokens: stored and read as bytes, never unpickled.
        "OPTIONS": {"serializer": "securescope.redis_safety.BytesOnlySerializer"},
    }
else:
    VAULT_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "vault"}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "vault": VAULT_CACHE,
    # Account-wide AWS answers that a scan's units share, whichever worker runs them.
    "scan_calls": {
        **VAULT_CACHE,
        "LOCATION": REDIS_URL or "scan-calls",
        "KEY_PREFIX": "securescope:scan-calls",
    },
}

# How scan tasks run: "thread" (a pool inside this process) or "django-q" (qcluster workers).
SCAN_EXECUTOR = env.str("SCAN_EXECUTOR", default="django-q" if REDIS_URL else "thread")
SCAN_THREADS = env.int("SCAN_THREADS", default=8)
# "Scan the demo account": an in-process moto server with a seeded company account (embedded).
DEMO_MODE = env.bool("DEMO_MODE", default=not REDIS_URL)
# "ambient": saved accounts are reached by assuming their role from this host's own credentials
# (boto3's standard provider chain: instance profile, task role, IRSA, environment, SSO profile).
# "none": off, and saved accounts cannot be scanned or tested.
SCANNER_BASE_IDENTITY = env.str("SCANNER_BASE_IDENTITY", default="none")
if SCANNER_BASE_IDENTITY not in ("none", "ambient"):
    raise ImproperlyConfigured(
        f"SCANNER_BASE_IDENTITY must be 'none' or 'ambient', not {SCANNER_BASE_IDENTITY!r}."
    )
# Credentials live in the vault no longer than this, even if a worker dies mid-scan.
VAULT_TTL_SECONDS = env.int("VAULT_TTL_SECONDS", default=3600)
AWS_MAX_ATTEMPTS = env.int("AWS_MAX_ATTEMPTS", default=8)
AWS_CALL_TIMEOUT_SECONDS = env.int("AWS_CALL_TIMEOUT_SECONDS", default=20)
# Client-side pace per (account, region, service): AWS's published throttle of each service
# (securescope/ratelimit.py), never refilling faster than AWS_CALLS_PER_SECOND, which is also the
# pace (bursts twice it) of services whose throttle AWS does not publish. AWS_API_SHARE scales
# every bucket down, for accounts whose own workloads need the rest of AWS's budget.
AWS_CALLS_PER_SECOND = env.float("AWS_CALLS_PER_SECOND", default=20.0)
AWS_API_SHARE = env.float("AWS_API_SHARE", default=1.0)
if not 0 < AWS_API_SHARE <= 1:
    raise ImproperlyConfigured("AWS_API_SHARE must be more than 0 and at most 1.")
# High-cardinality per-item calls (snapshot and image attributes, per-bucket S3 calls) stop at
# this many per unit, with a warning.
SCAN_PER_ITEM_CALL_CAP = env.int("SCAN_PER_ITEM_CALL_CAP", default=500)

# Switches for optional features (comma-separated). "llm": remediation advice from a local model
# once LLM_MODEL_PATH or LLM_ENDPOINT names one.
FEATURE_FLAGS = env.list("FEATURE_FLAGS", default=["llm"])
# Which provider writes advice ("llama-cpp" or "llama-server"); empty: the one the settings below
# imply (a model file: llama-cpp in the advice worker; an endpoint: llama.cpp's HTTP server).
LLM_PROVIDER = env.str("LLM_PROVIDER", default="")
LLM_MODEL_PATH = env.str("LLM_MODEL_PATH", default="")
LLM_ENDPOINT = env.str("LLM_ENDPOINT", default="")
# LLM_ENDPOINT must be https:// or on this host; true accepts http:// on a private network
# (deploy/compose.yaml's container network).
LLM_ENDPOINT_ALLOW_HTTP = env.bool("LLM_ENDPOINT_ALLOW_HTTP", default=False)
# The model's name on the server, also the advice cache key; empty: what /v1/models reports.
LLM_MODEL_NAME = env.str("LLM_MODEL_NAME", default="")
# llama-cpp: CPU threads (0: llama.cpp's choice) and context window in tokens.
LLM_THREADS = env.int("LLM_THREADS", default=0)
LLM_CONTEXT = env.int("LLM_CONTEXT", default=4096)
LLM_MAX_TOKENS = env.int("LLM_MAX_TOKENS", default=1536)
# Characters per advice section (rationale, CLI, console, blast radius, regression testing).
ADVICE_SECTION_MAX_CHARS = env.int("ADVICE_SECTION_MAX_CHARS", default=500)
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=300)
# Pace of generations per advice worker, and generations per scan at most (cached advice is free).
ADVICE_REQUESTS_PER_MINUTE = env.float("ADVICE_REQUESTS_PER_MINUTE", default=30)
ADVICE_PER_SCAN_CAP = env.int("ADVICE_PER_SCAN_CAP", default=200)

Q_CLUSTER = {
    "name": "securescope",
    "workers": env.int("Q_WORKERS", default=4),
    # A region scan on a large account takes minutes; retry only after timeout has passed.
    "timeout": env.int("Q_TIMEOUT_SECONDS", default=1800),
    "retry": env.int("Q_RETRY_SECONDS", default=2100),
    "max_attempts": 2,
    # Successful results kept per group: each cluster's tasks, and each schedule's runs (the
    # admin shows a schedule's last run from them).
    "save_limit": 250,
    "save_limit_per": "group",
    "catch_up": False,
    "orm": "default",
    "ALT_CLUSTERS": {"scans": {}, "advice": {"workers": 1}},
}
if REDIS_URL:
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = REDIS_URL

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / STATIC_DIR_NAME
# Exports of finished scans, rendered once per state (findings.export_snapshots).
EXPORT_SNAPSHOTS_DIR = DATA_DIR / "exports"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# We serve HTTPS ourselves (gunicorn with TLS), so cookies are secure by default.
ENFORCE_HTTPS = env.bool("ENFORCE_HTTPS", default=True)
SESSION_COOKIE_SECURE = ENFORCE_HTTPS
CSRF_COOKIE_SECURE = ENFORCE_HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

TLS_CERT_FILE = Path(env.str("TLS_CERT_FILE", default=str(DATA_DIR / "tls" / "cert.pem")))
TLS_KEY_FILE = Path(env.str("TLS_KEY_FILE", default=str(DATA_DIR / "tls" / "key.pem")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # botocore logs request parameters at DEBUG; never let that reach a handler.
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # The demo account's moto server logs every request it answers.
        "werkzeug": {"level": "WARNING"},
    },
}

# --- Hardening: transport, headers, login throttling, scrubbed reports, housekeeping --------
INSTALLED_APPS += ["csp", "axes"]
MIDDLEWARE += [
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out user or address is refused before the password is even checked.
    "securescope.throttling.SignInThrottlingBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Only a reverse proxy that terminates TLS may tell Django the request was HTTPS; trusting the
# header without one would let any client claim it.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = ENFORCE_HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if ENFORCE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = ENFORCE_HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload commits a whole registrable domain to browsers' lists; that is the
    # operator's decision for their domain, not a default an internal tool may make.
    "security.W021",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
    }
}
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
# Many passwords for one user from one address, or one address trying many users, locks. A user
# name alone never does: anyone could lock the admin out by failing on purpose. An address has
# a higher limit of its own: many people may share one (an office's NAT).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "securescope.throttling.SignInLockoutHandler"
AXES_RESET_ON_SUCCESS = True
# Its start-up banner would open every management command's output; failures still log.
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "securescope.throttling.client_ip"
DEFAULT_EXCEPTION_REPORTER = "securescope.scrubbing.ScrubbingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "securescope.scrubbing.ScrubbingExceptionReporterFilter"
LOGGING["filters"] = {"scrub_secrets": {"()": "securescope.scrubbing.SecretScrubFilter"}}
LOGGING["handlers"]["console"]["filters"] = ["scrub_secrets"]
# Django's own console and mail handlers would print tracebacks unscrubbed: its records go
# through the root handler instead.
LOGGING["loggers"]["django"] = {"handlers": [], "level": "INFO", "propagate": True}

# A scan unit still running this long after it started has lost its worker (killed, or its
# task lost with it): the reaper fails it so the scan can end. Longer than django-q2's timeout.
SCAN_UNIT_DEADLINE_SECONDS = env.int(
    "SCAN_UNIT_DEADLINE_SECONDS", default=Q_CLUSTER["timeout"] + 300
)
# Scans (with their findings) older than this many days are deleted daily; 0 keeps them all.
FINDINGS_RETENTION_DAYS = env.int("FINDINGS_RETENTION_DAYS", default=90)

# --- HTTP API (/api/v1/) ---------------------------------------------------------------------
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=5)
# The longest a new token may live; expiry is required, so a forgotten token stops working.
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
# Requests per token per minute, counted in the default cache (each web worker's own memory
# unless a shared cache is configured).
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", default=120)
# The largest request body the API reads: a scan request with a session token is under 10 KB.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)

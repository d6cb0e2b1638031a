"""Kurashi settings: one file, every deployment difference comes from the environment.

Embedded (default): SQLite under var/, tasks in the same database, local media.
Scaled: DATABASE_URL=postgres://..., several web processes and `kurashi worker`s.
See README.md ("Running at prefecture scale") and docs/operations.md.
"""

from pathlib import Path

from django.utils.csp import CSP  # type: ignore[import-untyped,unused-ignore]

from kurashi.core.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KURASHI_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret(
    "SECRET_KEY", default="kurashi-insecure-development-key-change-me" if DEBUG else ""
)
if not SECRET_KEY:
    # Falls back to a per-installation key kept under var/, so that `make run` works on a fresh
    # machine without configuration while production sets SECRET_KEY (or SECRET_KEY_FILE).
    from kurashi.core.env import installation_secret

    SECRET_KEY = installation_secret(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "kurashi.core",
    "kurashi.portal",
    "kurashi.modules.plan",
    "kurashi.modules.disaster",
    "kurashi.modules.notify",
    "kurashi.modules.ems",
    "kurashi.modules.records",
    "kurashi.modules.access",
    "kurashi.modules.archive",
    "kurashi.modules.forms",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "django_linear_migrations",
]
if not env_bool("KURASHI_DEV_APPS", True):
    INSTALLED_APPS.remove("django_linear_migrations")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kurashi.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside SessionMiddleware: it sees the session cookie a response sets, after every view.
    "kurashi.core.middleware.PrivateForSessionsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kurashi.core.middleware.ClientAddressMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kurashi.urls"
WSGI_APPLICATION = "kurashi.wsgi.application"
ASGI_APPLICATION = "kurashi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kurashi.portal.context_processors.portal",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    import dj_database_url

    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
    }
    # A psycopg connection pool per process. Under ASGI each request runs in its own thread, so
    # Django's persistent connections (CONN_MAX_AGE) opened a new PostgreSQL connection for
    # every request (10–20 ms) and left the old one idle until it aged out; the pool hands
    # connections back at the end of the request and checks them before reuse.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
    }
else:
    # How long a writer waits for another process's write to finish before "database is locked".
    SQLITE_BUSY_TIMEOUT_SECONDS = env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 5)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "kurashi.sqlite3")),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on busy_timeout
                # instead of one failing with "database is locked" halfway through.
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                "init_command": (
                    "PRAGMA journal_mode = WAL;"
                    "PRAGMA synchronous = NORMAL;"
                    f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_SECONDS * 1000};"
                    "PRAGMA foreign_keys = ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# archive.Posting's (term, item) index carries the facet columns as non-key columns on
# PostgreSQL (index-only merge joins); SQLite builds it without them, which is what it needs.
# security.W021: HSTS preload is the operator's choice (SECURE_HSTS_PRELOAD), not a default.
SILENCED_SYSTEM_CHECKS = ["models.W040", "security.W021"]

# --- tasks ----------------------------------------------------------------------------------
TASK_BACKEND = env_str("TASK_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {
    "default": {
        "BACKEND": TASK_BACKEND,
        "QUEUES": ["default", "emergency", "bulk"],
    }
}
# A worker that has not beaten for this long is reported unhealthy by /healthz.
WORKER_HEARTBEAT_STALE_SECONDS = env_int("WORKER_HEARTBEAT_STALE_SECONDS", 120)
# /healthz answers ok/fail to anyone; the details to staff or to `Authorization: Bearer <token>`.
HEALTHZ_TOKEN = env_secret("HEALTHZ_TOKEN", default="")

# --- live events (kurashi/core/events.py) ---------------------------------------------------------
# SQLite: how often a process with open live screens reads the bus for other processes' events
# (PostgreSQL is told at once by LISTEN/NOTIFY). Events are kept this long for resuming streams.
LIVE_EVENTS_POLL_SECONDS = env_int("LIVE_EVENTS_POLL_MS", 100) / 1000
LIVE_EVENTS_RETENTION_SECONDS = env_int("LIVE_EVENTS_RETENTION_SECONDS", 3600)

# --- live events (kurashi/core/events.py) ---------------------------------------------------------
# SQLite: how often a process with open live screens reads the bus for other processes' events
# (PostgreSQL is told at once by LISTEN/NOTIFY). Events are kept this long for resuming streams.
LIVE_EVENTS_POLL_SECONDS = env_int("LIVE_EVENTS_POLL_MS", 100) / 1000
LIVE_EVENTS_RETENTION_SECONDS = env_int("LIVE_EVENTS_RETENTION_SECONDS", 3600)

# --- caches ---------------------------------------------------------------------------------
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "kurashi",
        }
    }

# In-process ASGI micro-cache for public, max-age responses (kurashi/core/microcache.py).
MICROCACHE_ENABLED = env_bool("MICROCACHE_ENABLED", True)
# Every path: what is stored is decided by the response (public, max-age, no Set-Cookie) and the
# request (no cookies), so only pages Django marked shareable are served from memory.
MICROCACHE_PATH_PREFIXES = env_list("MICROCACHE_PATH_PREFIXES", ["/"])

# --- auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["kurashi.core.auth.UsernameOrEmailBackend"]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
OTP_TOTP_ISSUER = "Kurashi"
# Seals TOTP secrets in the database (kurashi/core/otp.py); default: var/otp_seal_key, created on
# first use. Keep it apart from database backups.
OTP_SEAL_KEY = env_secret("OTP_SEAL_KEY", default="")
# Password guessing is slowed with growing delays per account and client, never a lock of the
# account (kurashi/core/throttle.py): free failures, then 1 s, 2 s, 4 s … up to the maximum.
LOGIN_FREE_FAILURES = env_int("LOGIN_FREE_FAILURES", 5)
LOGIN_MAX_DELAY_SECONDS = env_int("LOGIN_MAX_DELAY_SECONDS", 900)
LOGIN_UNTRUSTED_FREE_FAILURES = env_int("LOGIN_UNTRUSTED_FREE_FAILURES", 30)
LOGIN_UNTRUSTED_MAX_DELAY_SECONDS = env_int("LOGIN_UNTRUSTED_MAX_DELAY_SECONDS", 60)
LOGIN_ADDRESS_FREE_FAILURES = env_int("LOGIN_ADDRESS_FREE_FAILURES", 100)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 86400)
LOGIN_DEVICE_COOKIE_DAYS = env_int("LOGIN_DEVICE_COOKIE_DAYS", 365)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "kurashi" / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("KURASHI_TESTING", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 3600

# --- maps -----------------------------------------------------------------------------------
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str(
    "MAP_TILE_ATTRIBUTION",
    '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>',
)

# --- disaster information (plan 1.1) ------------------------------------------------------------
JMA_FEED_URLS = env_list(
    "JMA_FEED_URLS",
    [
        "https://www.data.jma.go.jp/developer/xml/feed/extra.xml",
        "https://www.data.jma.go.jp/developer/xml/feed/eqvol.xml",
        "https://www.data.jma.go.jp/developer/xml/feed/regular.xml",
    ],
)
# Offices whose entries are downloaded: Saga, and Fukuoka for the 筑後川.
JMA_OFFICE_CODES = env_list("JMA_OFFICE_CODES", ["410000", "400000"])
JMA_POLL_SECONDS = env_int("JMA_POLL_SECONDS", 60)
JMA_POLLING_ENABLED = env_bool("JMA_POLLING_ENABLED", False)
JMA_MAX_DOCUMENT_BYTES = env_int("JMA_MAX_DOCUMENT_BYTES", 5 * 1024 * 1024)
JMA_FETCH_MAX_ATTEMPTS = env_int("JMA_FETCH_MAX_ATTEMPTS", 5)
JMA_HTTP_TIMEOUT_SECONDS = env_int("JMA_HTTP_TIMEOUT_SECONDS", 10)
DISASTER_REPORT_PHOTO_MAX_BYTES = env_int("DISASTER_REPORT_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
DISASTER_REPORT_PHOTO_MAX_DIMENSION = env_int("DISASTER_REPORT_PHOTO_MAX_DIMENSION", 2048)
DISASTER_REPORT_PHOTO_MAX_PIXELS = env_int("DISASTER_REPORT_PHOTO_MAX_PIXELS", 60_000_000)
# Field reports per client address per window (staff with a membership are exempt).
DISASTER_REPORT_RATE_LIMIT = env_int("DISASTER_REPORT_RATE_LIMIT", 5)
DISASTER_REPORT_RATE_WINDOW_SECONDS = env_int("DISASTER_REPORT_RATE_WINDOW_SECONDS", 600)
# How often the open disaster portal refreshes its table and map (seconds, minimum 5).
DISASTER_PORTAL_REFRESH_SECONDS = env_int("DISASTER_PORTAL_REFRESH_SECONDS", 30)
CAP_SENDER = env_str("CAP_SENDER", "kurashi@pref.saga.example")
LALERT_SENDER_ID = env_str("LALERT_SENDER_ID", "kurashi.pref.saga.example")

# --- notify: channel credentials (the rest of NOTIFY_* have defaults in the module) -------------
WEBPUSH_VAPID_PRIVATE_KEY = env_secret("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_PUBLIC_KEY = env_str("WEBPUSH_VAPID_PUBLIC_KEY", "")
WEBPUSH_VAPID_SUBJECT = env_str("WEBPUSH_VAPID_SUBJECT", "mailto:bousai@pref.saga.example")
NOTIFY_MASTODON_URL = env_str("NOTIFY_MASTODON_URL", "")
NOTIFY_MASTODON_TOKEN = env_secret("NOTIFY_MASTODON_TOKEN", default="")
NOTIFY_LINE_CHANNEL_TOKEN = env_secret("NOTIFY_LINE_CHANNEL_TOKEN", default="")
NOTIFY_SMS_URL = env_str("NOTIFY_SMS_URL", "")
NOTIFY_SMS_TOKEN = env_secret("NOTIFY_SMS_TOKEN", default="")
NOTIFY_SMS_SENDER = env_str("NOTIFY_SMS_SENDER", "SagaBousai")
# `kurashi run` starts `kurashi notify watch` (recovery after a worker crash); /healthz watches it.
NOTIFY_WATCH_ENABLED = env_bool("NOTIFY_WATCH_ENABLED", True)

# --- emergency medical information (plan 1.2) -----------------------------------------------
EMS_STATUS_VALIDITY_HOURS = env_int("EMS_STATUS_VALIDITY_HOURS", 12)
EMS_INFERRED_UNAVAILABLE_MINUTES = env_int("EMS_INFERRED_UNAVAILABLE_MINUTES", 60)
EMS_ESCALATION_INQUIRIES = env_int("EMS_ESCALATION_INQUIRIES", 4)
EMS_ESCALATION_SCENE_MINUTES = env_int("EMS_ESCALATION_SCENE_MINUTES", 30)
EMS_MAX_PARALLEL_REQUESTS = env_int("EMS_MAX_PARALLEL_REQUESTS", 5)
EMS_SSE_MAX_SECONDS = env_int("EMS_SSE_MAX_SECONDS", 300)
# `kurashi run` starts `kurashi ems_escalate --loop` and /healthz watches its heartbeat.
EMS_ESCALATION_WATCHER_ENABLED = env_bool("EMS_ESCALATION_WATCHER_ENABLED", True)
# How often the watcher looks for cases past the on-scene threshold (seconds, at least 5).
EMS_ESCALATION_INTERVAL_SECONDS = env_int("EMS_ESCALATION_INTERVAL_SECONDS", 5)

# --- online services: forms and case workflow (plan 4.1, 4.3, 3.1) ----------------------------
# The fake identity (GビズID, デジタル認証アプリ) and payment providers serve their own pages for the
# demo and the tests; production sets 0 and configures real adapters (docs/forms.md).
FORMS_FAKE_PROVIDERS_ENABLED = env_bool("FORMS_FAKE_PROVIDERS_ENABLED", True)
FORMS_WEBHOOK_SECRET = env_secret("FORMS_WEBHOOK_SECRET", default="")
# `kurashi run` starts `kurashi forms_tick --loop` (dispatch retries, unpaid expiry, reminders,
# retention).
FORMS_TICK_ENABLED = env_bool("FORMS_TICK_ENABLED", True)

# --- e-mail ---------------------------------------------------------------------------------
# Django 6.1 MAILERS. EMAIL_BACKEND=console prints mail instead (development).
EMAIL_BACKEND_NAME = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
_SMTP = EMAIL_BACKEND_NAME.endswith("smtp.EmailBackend")
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_NAME,
        "OPTIONS": (
            {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_secret("EMAIL_HOST_PASSWORD", default=""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            }
            if _SMTP
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kurashi <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security -------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO", False) else None
)
# Number of trusted reverse proxies in front of the app, for the client address in the audit log.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and env_bool("HTTPS", False))
SESSION_COOKIE_SECURE = env_bool("HTTPS", False)
CSRF_COOKIE_SECURE = env_bool("HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if env_bool("HTTPS", False) else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a promise to browsers that is slow to take back: the operator opts in.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
PERMISSIONS_POLICY = env_str(
    "PERMISSIONS_POLICY",
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(self), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "publickey-credentials-create=(self), publickey-credentials-get=(self), usb=()",
)
# Passkeys: the relying party (the site's host name); empty: the host of each request.
WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "")
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # No nonces: public pages must be byte-identical between requests so caches can serve them.
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [
        CSP.SELF,
        "data:",
        "https://cyberjapandata.gsi.go.jp",
        *env_list("CSP_EXTRA_IMG_SRC", []),
    ],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

KURASHI_TESTING = env_bool("KURASHI_TESTING", False)
if KURASHI_TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic before tests
    EMS_ESCALATION_WATCHER_ENABLED = False  # no watcher process beside the unit tests
    NOTIFY_WATCH_ENABLED = False
    FORMS_TICK_ENABLED = False
    TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": ["default", "emergency", "bulk"],
        }
    }
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    if not DATABASE_URL:
        # A file, not :memory:, so that a real worker process can share the test database.
        DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

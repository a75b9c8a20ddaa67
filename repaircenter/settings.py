"""Repair Center settings.

Everything a deployment changes comes from environment variables, with defaults that run on a
laptop: SQLite in REPAIRCENTER_DATA (./data), a secret key generated once into that folder.
"""

import base64
import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from repaircenter.customers.channels import CHANNELS, ChannelInfo


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("REPAIRCENTER_DATA", "data")).resolve()


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in the data folder."""
    key = env_str("REPAIRCENTER_SECRET_KEY")
    if key:
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _passcode_key() -> str:
    """The Fernet key that encrypts device passcodes (orders/passcodes.py): from the
    environment, else one generated once and kept in the data folder, beside the secret key
    and never in the database, so a copy of the database alone reads no passcode."""
    key = env_str("REPAIRCENTER_PASSCODE_KEY")
    if key:
        return key
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "passcode_key"
    if not key_file.exists():
        key_file.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


PASSCODE_KEY = _passcode_key()
DEBUG = env_bool("REPAIRCENTER_DEBUG", False)
ALLOWED_HOSTS = env_list("REPAIRCENTER_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("REPAIRCENTER_CSRF_TRUSTED_ORIGINS")

# The public address of the site, used in links that leave it (the customer's order link
# printed on paper and sent by SMS). Requests are not trusted to tell it.
SITE_URL = env_str("REPAIRCENTER_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "phonenumber_field",
    "repaircenter.core",
    "repaircenter.centers",
    "repaircenter.accounts",
    "repaircenter.customers",
    "repaircenter.orders",
    "repaircenter.documents",
    "repaircenter.stock",
    "repaircenter.billing",
    "repaircenter.notifications",
    "repaircenter.reports",
    "repaircenter.consult",
    "repaircenter.portal",
    "repaircenter.staff",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "repaircenter.api",
    "repaircenter.webhooks",
    # Demo data and the benchmark generator: tools around the product, never imported by it.
    "repaircenter.devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Inside SecurityMiddleware (its Referrer-Policy only fills a gap) and outside everything
    # else, so that its headers reach every public answer: 404s, 429s, CSRF refusals.
    "repaircenter.portal.middleware.PublicPageHeadersMiddleware",
    # Likewise for the staff's pages: no-store and their own strict Content-Security-Policy.
    "repaircenter.core.middleware.StaffPageHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the user's row kept a minute for a request that only reads (accounts/backends.py).
    "repaircenter.accounts.middleware.StaffAuthenticationMiddleware",
    "repaircenter.accounts.middleware.IdleTimeoutMiddleware",
    # The language a member of staff chose in their profile, over the browser's.
    "repaircenter.accounts.middleware.StaffLanguageMiddleware",
    # The center a staff member works in (request.workplace); other centers' orders are 404.
    "repaircenter.staff.middleware.WorkplaceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the result of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "repaircenter.urls"
# A form posted with a stale or missing CSRF token gets a page that says what to do.
CSRF_FAILURE_VIEW = "repaircenter.portal.views.csrf_failure"
WSGI_APPLICATION = "repaircenter.wsgi.application"

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
                "repaircenter.core.context_processors.center",
            ],
        },
    },
    # The pages drawn most often, in an app's jinja2/ folder (core/jinja_env.py says why).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "repaircenter.core.jinja_env.environment",
            "context_processors": ["repaircenter.core.jinja_env.page_values"],
            "autoescape": True,
            # Compiled once per process, as Django's cached loader does; checked when DEBUG.
            "auto_reload": DEBUG,
        },
    },
]

# Form fields drawn by Django's Jinja2 templates of its widgets (the same HTML as its own
# engine's, in a third of the time: the customer's page draws its chat form on every request).
FORM_RENDERER = "django.forms.renderers.Jinja2"

# Database: SQLite in the data folder unless DATABASE_URL says otherwise.
DATABASE_URL = env_str("DATABASE_URL")
SQLITE_OPTIONS = {
    # Writers take the lock when the transaction begins, so two writers queue instead of
    # failing halfway through; WAL lets readers go on meanwhile.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"].update(CONN_MAX_AGE=0, OPTIONS=SQLITE_OPTIONS)
    elif env_bool("REPAIRCENTER_PREPARED_STATEMENTS", True):
        # The order pages' queries join a dozen tables: PostgreSQL spends longer planning them
        # (12 ms) than running them (1 ms). Bound by the server, a statement run twice on a
        # connection is prepared and planned once for it (psycopg keeps the last hundred).
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # Tests use a file, not memory, so that worker processes they start can share it;
            # one per test run, so that two runs at once do not share it.
            "TEST": {"NAME": Path(tempfile.gettempdir()) / f"repaircenter-test-{os.getpid()}.db"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Nothing in the product relies on the cache (rate-limit counts are in their own table, see
# core/ratelimit.py); each process keeps its own.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Drawn parts of pages, each kept under a key that names the rows it was drawn from (an
    # order's history, documents and messages: core/fragments.py), each process its own:
    # nothing in it can go stale, so nothing needs sharing.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "OPTIONS": {"MAX_ENTRIES": env_int("REPAIRCENTER_FRAGMENTS_KEPT", 20_000)},
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the user's roles read in the same query.
    "repaircenter.accounts.backends.StaffBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "login"

# Login lockout: after this many failures for one user name from one address, an hour's wait.
AXES_FAILURE_LIMIT = env_int("REPAIRCENTER_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("REPAIRCENTER_PROXY_COUNT", 0)

# Sessions: a staff session ends after a shift, or after this much idle time at the counter.
# The session in a signed cookie (Django's, its signature checked once per process:
# accounts/sessions.py): no query on every request. It holds no secret (the user's id,
# the center chosen, the idle clock); logging out ends every copy (accounts.User.session_epoch):
# at once for anything that writes; for a page that only reads, at once in the web process
# that logged out and within the minute in the others (accounts/backends.py).
SESSION_ENGINE = "repaircenter.accounts.sessions"
SESSION_COOKIE_AGE = env_int("REPAIRCENTER_SESSION_HOURS", 10) * 3600
SESSION_IDLE_TIMEOUT = env_int("REPAIRCENTER_IDLE_MINUTES", 30) * 60
# The idle clock is written to the session at most this often, not on every request.
SESSION_TOUCH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = env_str("REPAIRCENTER_LANGUAGE", "en")
# Each language by its own name, as a switch shows it to someone who reads only that one.
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Dates and numbers as each language writes them ("5 December 2026", "5 декабря 2026 г."):
# Django's own formats, with the few the pages name changed in repaircenter/formats/.
FORMAT_MODULE_PATH = ["repaircenter.formats"]
TIME_ZONE = env_str("REPAIRCENTER_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# The region used to read phone numbers typed without a country code.
PHONENUMBER_DEFAULT_REGION = env_str("REPAIRCENTER_PHONE_REGION", "GB")
PHONENUMBER_DB_FORMAT = "E164"
CURRENCY = env_str("REPAIRCENTER_CURRENCY", "GBP")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
# Media (equipment photos) are personal data: served only through staff views. No URL pattern
# serves this prefix; it is set because Django's test servers expect a string.
MEDIA_URL = "/private-media/"


def file_storage(url: str) -> dict:
    """Where documents and photos are kept: the data folder's media/ when `url` is empty (one
    machine), else an S3-compatible bucket, `s3://BUCKET[/PREFIX]`, shared by every app server
    and worker. The bucket stays private: files reach people only through the product's views,
    which check the role or the customer's link and stream the file."""
    if not url:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    scheme, _sep, rest = url.partition("://")
    bucket, _sep, prefix = rest.partition("/")
    if scheme != "s3" or not bucket:
        raise ImproperlyConfigured(
            "REPAIRCENTER_STORAGE_URL must look like s3://BUCKET or s3://BUCKET/PREFIX")
    endpoint = env_str("REPAIRCENTER_S3_ENDPOINT")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": prefix.strip("/"),
            # Empty: AWS itself; else the S3-compatible server (MinIO, Ceph, Garage, …).
            "endpoint_url": endpoint or None,
            "region_name": env_str("REPAIRCENTER_S3_REGION", "us-east-1"),
            # Empty: boto3's own chain (AWS_ACCESS_KEY_ID, an instance role, ~/.aws).
            "access_key": env_str("REPAIRCENTER_S3_ACCESS_KEY") or None,
            "secret_key": env_str("REPAIRCENTER_S3_SECRET_KEY") or None,
            # Servers other than AWS rarely resolve bucket.host names.
            "addressing_style": "path" if endpoint else None,
            # Private objects; a URL, if anything ever asks for one, is signed and short-lived.
            "default_acl": None,
            "querystring_auth": True,
            "signature_version": "s3v4",
            "querystring_expire": 60,
            # A name already taken gets a suffix: one file never replaces another.
            "file_overwrite": False,
        },
    }


STORAGE_URL = env_str("REPAIRCENTER_STORAGE_URL")
STORAGES = {
    "default": file_storage(STORAGE_URL),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# A file in the storage that no row names (a worker stopped between writing a PDF and recording
# it) is deleted once it is this old (core/files.py: the worker's orphan sweep, `repaircenter
# clean_files`); younger ones may still be on their way to their row.
ORPHAN_GRACE = env_int("REPAIRCENTER_ORPHAN_GRACE_MINUTES", 60) * 60
# Hours between two orphan sweeps of the worker (0: never; `repaircenter clean_files` then).
ORPHAN_SWEEP_INTERVAL = env_int("REPAIRCENTER_ORPHAN_SWEEP_HOURS", 24) * 3600
WHITENOISE_USE_FINDERS = DEBUG

# Days a transfer between centers may take before the lists flag it as overdue.
TRANSFER_DAYS = env_int("REPAIRCENTER_TRANSFER_DAYS", 3)

# Photos at intake: at most this many, each at most this large before re-encoding.
PHOTO_MAX_COUNT = env_int("REPAIRCENTER_PHOTO_MAX_COUNT", 8)
PHOTO_MAX_BYTES = env_int("REPAIRCENTER_PHOTO_MAX_MB", 12) * 1024 * 1024
PHOTO_MAX_SIDE = 2000
# Pixels the photos of one request may need decoded, together (orders/photos.py): a JPEG counts
# at the reduced scale it is decoded at, so eight phone photos take about 25 million.
PHOTO_MAX_REQUEST_PIXELS = env_int("REPAIRCENTER_PHOTO_MAX_MEGAPIXELS", 60) * 1_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Security. Behind HTTPS (REPAIRCENTER_HTTPS=true) every cookie is secure and HSTS is on.
HTTPS = env_bool("REPAIRCENTER_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("REPAIRCENTER_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("REPAIRCENTER_LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of every PDF at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"},
                "fontTools": {"level": "WARNING"}},
}

# How often the background worker wakes up, in seconds.
WORKER_INTERVAL = env_int("REPAIRCENTER_WORKER_INTERVAL", 5)
# Minutes between the worker's deadline sweeps (lapsed decisions, reminders, storage ended).
SWEEP_INTERVAL = env_int("REPAIRCENTER_SWEEP_MINUTES", 5) * 60

# A PDF is made by one worker (or download) at a time; one whose maker vanished is made by the next
# after this many seconds (core/leases.py). A PDF takes about a second.
PDF_LEASE = env_int("REPAIRCENTER_PDF_LEASE_SECONDS", 20)

# --- Notifications -----------------------------------------------------------------------------
# The classes that can send a message (notifications/channels/), by backend name. Console writes
# the message to the log and counts it as delivered: the development default.
CHANNEL_CLASSES = {
    "console": "repaircenter.notifications.channels.console.ConsoleChannel",
    "smtp": "repaircenter.notifications.channels.email.EmailChannel",
    "http": "repaircenter.notifications.channels.sms_http.SmsHttpChannel",
    "call": "repaircenter.notifications.channels.phone_call.PhoneCallChannel",
}


def channel_class(channel: ChannelInfo) -> str | None:
    """The class that serves `channel`: REPAIRCENTER_<KEY>_CHANNEL names one of the channel's
    backends (its first by default); "off" leaves the channel unused, and the outbox then picks
    the customer's next preferred channel."""
    choice = env_str(channel.setting, channel.backends[0])
    if choice == "off":
        return None
    if choice not in channel.backends:
        raise ImproperlyConfigured(
            f"{channel.setting}={choice!r}: choose one of {', '.join(channel.backends)} or off."
        )
    return CHANNEL_CLASSES[choice]


# Which class delivers each channel that is switched on (customers/channels.py declares them).
NOTIFICATION_CHANNELS = {
    key: path for key, channel in CHANNELS.items() if (path := channel_class(channel))
}

# Email over SMTP (REPAIRCENTER_EMAIL_CHANNEL=smtp).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("REPAIRCENTER_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("REPAIRCENTER_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("REPAIRCENTER_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("REPAIRCENTER_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("REPAIRCENTER_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env_bool("REPAIRCENTER_EMAIL_SSL", False)
EMAIL_TIMEOUT = env_int("REPAIRCENTER_EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("REPAIRCENTER_EMAIL_FROM", "Repair Center <repairs@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# SMS through an HTTP provider (REPAIRCENTER_SMS_CHANNEL=http): a JSON POST with a bearer token.
# The provider reports delivery to /hooks/sms/report/, signed with SMS_REPORT_SECRET.
SMS_API_URL = env_str("REPAIRCENTER_SMS_API_URL")
SMS_API_TOKEN = env_str("REPAIRCENTER_SMS_API_TOKEN")
SMS_SENDER = env_str("REPAIRCENTER_SMS_SENDER", "RepairCtr")
SMS_REPORT_SECRET = env_str("REPAIRCENTER_SMS_REPORT_SECRET")
SMS_TIMEOUT = env_int("REPAIRCENTER_SMS_TIMEOUT", 10)

# Delivery: a temporary failure is retried after RETRY_BASE seconds, doubling each time, up to
# MAX_ATTEMPTS sends. A worker's claim on the messages it sends lasts LEASE seconds and is renewed
# as it goes (core/leases.py): one that stops mid-send lets its messages go after LEASE seconds.
MESSAGE_MAX_ATTEMPTS = env_int("REPAIRCENTER_MESSAGE_MAX_ATTEMPTS", 6)
MESSAGE_RETRY_BASE = env_int("REPAIRCENTER_MESSAGE_RETRY_SECONDS", 60)
MESSAGE_LEASE = env_int("REPAIRCENTER_MESSAGE_LEASE_SECONDS", 300)
MESSAGE_BATCH = env_int("REPAIRCENTER_MESSAGE_BATCH", 50)
# How many sends the worker has under way at once (providers answer in tens of milliseconds).
MESSAGE_SEND_CONCURRENCY = env_int("REPAIRCENTER_MESSAGE_SEND_CONCURRENCY", 4)
# A customer who did not answer the telephone is called again this much later (doubling).
CALL_RETRY_BASE = env_int("REPAIRCENTER_CALL_RETRY_MINUTES", 120) * 60

# --- The public site: the customer's order page, free advice, the chat ------------------------
# Requests per address: to the order pages (/o/…) per minute, and for unknown links per hour
# (someone trying tokens); advice questions and link look-ups per hour.
PORTAL_REQUESTS_PER_MINUTE = env_int("REPAIRCENTER_PORTAL_REQUESTS_PER_MINUTE", 60)
PORTAL_UNKNOWN_LINKS_PER_HOUR = env_int("REPAIRCENTER_PORTAL_UNKNOWN_LINKS_PER_HOUR", 20)
ADVICE_REQUESTS_PER_HOUR = env_int("REPAIRCENTER_ADVICE_PER_HOUR", 5)
LOOKUPS_PER_HOUR = env_int("REPAIRCENTER_LOOKUPS_PER_HOUR", 10)
# The link is sent again at most this many times a day for one order, whoever asks.
LINK_RESENDS_PER_DAY = env_int("REPAIRCENTER_LINK_RESENDS_PER_DAY", 3)
# Chat: the pages ask for new messages this often (seconds); a consultant counts as online while
# their inbox was open this many minutes ago; a message is at most this long.
CHAT_POLL_SECONDS = env_int("REPAIRCENTER_CHAT_POLL_SECONDS", 2)
CHAT_IDLE_MINUTES = env_int("REPAIRCENTER_CHAT_IDLE_MINUTES", 5)
CHAT_MESSAGE_MAX = 1000
CHAT_MESSAGES_PER_MINUTE = env_int("REPAIRCENTER_CHAT_MESSAGES_PER_MINUTE", 20)
CHAT_POLLS_PER_MINUTE = env_int("REPAIRCENTER_CHAT_POLLS_PER_MINUTE", 120)

# --- The HTTP API (/api/v1/, schema at /api/schema/, docs at /api/docs/) -----------------------
# Requests per minute per token, and per address for the schema and docs (which need no token).
API_REQUESTS_PER_MINUTE = env_int("REPAIRCENTER_API_REQUESTS_PER_MINUTE", 120)
API_ANONYMOUS_REQUESTS_PER_MINUTE = env_int("REPAIRCENTER_API_ANONYMOUS_REQUESTS_PER_MINUTE", 30)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["repaircenter.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["repaircenter.api.permissions.HasRole"],
    "DEFAULT_THROTTLE_CLASSES": ["repaircenter.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "repaircenter.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "repaircenter.api.errors.ApiAutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Money as a decimal string, never a float (DRF's default, stated).
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Repair Center API",
    "DESCRIPTION": (
        "Orders, customers, estimates, decisions, works, stress tests, payments, issuance and "
        "documents of the repair center. Authenticate with `Authorization: Bearer <token>`; a "
        "manager creates tokens in the admin. Every error is "
        '`{"error": {"code", "message", "fields"}}`. Money is a decimal string.'
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatus": "repaircenter.orders.models.Status",
        "EventChannel": "repaircenter.orders.models.EventChannel",
        "DecisionChannel": "repaircenter.api.serializers.DECISION_CHANNELS",
        "NotificationChannel": "repaircenter.customers.models.Channel",
        "MessageStatus": "repaircenter.notifications.models.MessageStatus",
        "EstimateStatus": "repaircenter.orders.models.EstimateStatus",
    },
    # No validator badge: it would load an image from another site.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Webhooks (webhooks/): events posted to the endpoints a manager registers ------------------
# Each attempt waits at most TIMEOUT seconds; a failed delivery is tried again after RETRY_BASE
# seconds, doubling up to RETRY_MAX, until RETRY_WINDOW seconds after its first failure; then it
# fails for good. An endpoint whose every attempt failed for RETRY_WINDOW is disabled. A worker's
# claim lasts LEASE seconds (more than TIMEOUT) and is renewed as it goes (core/leases.py): one
# that stops mid-send lets its deliveries go after LEASE seconds.
WEBHOOK_TIMEOUT = env_int("REPAIRCENTER_WEBHOOK_TIMEOUT", 10)
WEBHOOK_RETRY_BASE = env_int("REPAIRCENTER_WEBHOOK_RETRY_SECONDS", 30)
WEBHOOK_RETRY_MAX = env_int("REPAIRCENTER_WEBHOOK_RETRY_MAX_SECONDS", 3600)
WEBHOOK_RETRY_WINDOW = env_int("REPAIRCENTER_WEBHOOK_RETRY_WINDOW_SECONDS", 24 * 3600)
WEBHOOK_LEASE = env_int("REPAIRCENTER_WEBHOOK_LEASE_SECONDS", 120)
WEBHOOK_BATCH = env_int("REPAIRCENTER_WEBHOOK_BATCH", 20)
# Endpoints on loopback or private addresses: refused unless in development (or set true).
WEBHOOKS_ALLOW_PRIVATE = env_bool("REPAIRCENTER_WEBHOOKS_ALLOW_PRIVATE", DEBUG)

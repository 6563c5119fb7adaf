"""Settings, read from the environment (django-environ). See .env.example."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-dev-only-key-do-not-use-in-production"  # noqa: S105 - DEBUG only
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# An expired form token gets the friendly 403 page with a way back, not Django's bare English one.
CSRF_FAILURE_VIEW = "core.error_pages.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "accounts",
    "groupbuy",
    "settlement",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestSizeLimitMiddleware",  # before anything reads the body
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A bare 405 / empty 403 becomes the friendly page in the visitor's language (core/error_pages.py).
    "core.middleware.FriendlyErrorPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",  # phone login by code (accounts/adapter.py)
    # Last: turns a lockout flagged during authenticate() into a 429 where the view did not answer one itself.
    "axes.middleware.AxesMiddleware",
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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# Default: a SQLite file, so `make run` works with no server. Tests refuse SQLite.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'jielong.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode a cursor cannot outlive its transaction's server connection:
# .iterator() must not open a server-side (named) cursor. See docs/OPERATIONS.md, "District and city".
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # One writer at a time; wait instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Axes first: it refuses a locked-out username+address before any password is checked, on every
# surface that calls authenticate() (login page, token API, /admin/login/).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackend",  # Django's, with a plain-SQL get_user
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- Redis: cache, rate limits, Celery broker -------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "jielong",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jielong"}}

SESSION_ENGINE = "core.sessions"  # Django's database store, its read in plain SQL
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30  # a month: residents should not have to log in daily

# --- Celery (see config/celery.py for the app and the beat schedule) -------
# One visibility timeout everywhere: any countdown/ETA must stay below it.
CELERY_VISIBILITY_TIMEOUT = 60 * 60
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
else:
    # A broker that needs no server: worker and beat still run in the demo.
    _broker_dir = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "celery-broker")))
    CELERY_BROKER_URL = "filesystem://localhost/"  # a hostname, or Kombu warns on every connection
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a web request must not hang when Redis is down: the beat
# sweep repairs anything whose enqueue was lost.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- I18N -----------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Uploaded files are private: never served from a public URL, only through
# views that check who may see them. So there is no MEDIA_URL route.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media-not-public/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Hard cap on a whole request body (videos are the largest uploads).
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=40 * 1024 * 1024)
UPLOAD_MAX_IMAGE_BYTES = env.int("UPLOAD_MAX_IMAGE_BYTES", default=15 * 1024 * 1024)
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=40_000_000)
UPLOAD_MAX_VIDEO_BYTES = env.int("UPLOAD_MAX_VIDEO_BYTES", default=30 * 1024 * 1024)
# Uploads (photos and videos) one person may send per window, whatever they attach them to:
# each photo is re-encoded by a worker, so this bounds the work one account can queue.
UPLOAD_RATE_LIMIT = env.int("UPLOAD_RATE_LIMIT", default=40)
UPLOAD_RATE_WINDOW_SECONDS = env.int("UPLOAD_RATE_WINDOW_SECONDS", default=600)

# Portions one person may donate to one buy (all items together) when the buy sets no per-household limit;
# a buy with a limit uses it (a donor gives at most what a household may order). See donation_add.
DONATION_MAX_PORTIONS_PER_PERSON = env.int("DONATION_MAX_PORTIONS_PER_PERSON", default=10)

# A price change (补差价) gives households at least this many hours to accept or withdraw: a shorter window
# would let the deadline sweep decide for people who never saw the question.
PRICE_CHANGE_MIN_ANSWER_HOURS = env.int("PRICE_CHANGE_MIN_ANSWER_HOURS", default=12)

# SMS (core/sms.py): login codes and the notices that need action. The demo prints them; a real gateway is a
# class with the same `send` method, named here.
SMS_BACKEND = env.str("SMS_BACKEND", default="core.sms.ConsoleBackend")
# The site's public address, for links in text read outside it (a notice's SMS links to its card).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
}
# API tokens (django-rest-knox): stored as hashes, one per phone, each revocable (POST /api/auth/logout/,
# /api/auth/logout-all/), all deleted when the password changes (accounts.models.User.save).
# A month of inactivity ends one, as for sessions; use extends it (written at most once a day).
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=30),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 24 * 60 * 60,
    "TOKEN_LIMIT_PER_USER": 20,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jielong API",
    "DESCRIPTION": "Community group buys (接龙), delivery filings and distribution.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging in: one lockout for every login surface (django-axes) ---------
# How many reverse proxies we trust to append to X-Forwarded-For (0: REMOTE_ADDR is the client).
# With N, the client is the N-th address from the right; anything further left is client-supplied.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Failures are counted per normalised username (NFKC + casefold) *and* client address together, so one
# person's typos lock out nobody else behind the same NAT; the address alone has a much higher bound
# that only stops one address from sweeping many usernames. Both counters live in the cache (Redis).
AXES_HANDLER = "accounts.login_protection.LoginLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)  # per username + address
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=300)  # per address, any usernames
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_USERNAME_CALLABLE = "accounts.login_protection.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.utils.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.login_protection.lockout_response"
AXES_COOLOFF_MESSAGE = _("Too many failed logins. Please wait a moment and try again.")
AXES_VERBOSE = False

# --- Residents log in by phone + one-time SMS code (django-allauth; accounts/adapter.py) -------------
# The code goes through core.sms (SMS_BACKEND). Staff keep username + password (accounts:login?staff=1, the
# admin) under the axes lockout above. Codes: 6 digits, 5 minutes, 5 tries; sends throttled per phone and per
# client address (the address from accounts.utils.client_ip, via the adapter's get_client_ip).
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"phone"}
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_SIGNUP_FIELDS = ["phone*"]
ACCOUNT_FORMS = {"signup": "accounts.forms.PhoneSignupForm"}
ACCOUNT_EMAIL_VERIFICATION = "none"
# A newcomer's unknown number leads to sign-up rather than a silent "code sent": the per-address throttle
# bounds how many numbers one address can test (docs/SECURITY.md, "Phone login").
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_USER_DISPLAY = "accounts.adapter.user_display"
ALLAUTH_USER_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
SMS_CODE_TIMEOUT_SECONDS = 5 * 60
SMS_CODE_MAX_ATTEMPTS = 5
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = SMS_CODE_TIMEOUT_SECONDS
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = SMS_CODE_MAX_ATTEMPTS
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = SMS_CODE_TIMEOUT_SECONDS
ACCOUNT_PHONE_VERIFICATION_MAX_ATTEMPTS = SMS_CODE_MAX_ATTEMPTS
ACCOUNT_RATE_LIMITS = {
    # Per address first (a refused address then uses up no phone's quota): 100 codes an hour from one address (a
    # building's NAT, a carrier's shared address), then one a minute and five an hour per phone.
    "request_login_code": env.str("SMS_LOGIN_CODE_RATE", default="100/h/ip,1/m/key,5/h/key"),
    "verify_phone": env.str("SMS_SIGNUP_CODE_RATE", default="100/h/ip,1/m/key,5/h/key"),
    "signup": "20/m/ip",
}
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_GET = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

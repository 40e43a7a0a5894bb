"""Settings for the loan maturity register.

With no environment set, the embedded default runs: PostgreSQL from a wheel with its data in VAR_DIR/pgdata
(config/embedded_postgres.py; `make run` starts and stops it), Celery tasks in-process, the nightly jobs run by
`manage.py run_scheduler`. DATABASE_URL points at another PostgreSQL and CELERY_BROKER_URL switches to Redis.
DJANGO_PRODUCTION=true turns on the hardened mode that passes `manage.py check --deploy`.
"""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from . import embedded_postgres
from .env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

PRODUCTION = env_bool("DJANGO_PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env_secret("SECRET_KEY")
else:
    SECRET_KEY = env_str("SECRET_KEY") or "dev-only-insecure-key-never-used-in-production-0123456789abcdef"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "simple_history",
    "axes",
    "django_celery_beat",  # the nightly schedule in the database, edited in the admin (common/schedule.py)
    "common",
    "loanregister",
    "servicing",
    "origination",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "loanregister.middleware.UserLanguageMiddleware",
    # refused requests: the error pages in the layout, one log line each (common/middleware.py)
    "common.middleware.RefusalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend reading the user with their preference and all their permissions in one statement
    # each (loanregister/auth.py)
    "loanregister.auth.RegisterModelBackend",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "loanregister.context_processors.navigation",
            ],
        },
    },
]

# PostgreSQL everywhere: DATABASE_URL, else the embedded server (its URL is read, never started, here).
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or embedded_postgres.database_url(VAR_DIR),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache for every worker process (issue 9): Redis when CACHE_URL, or else a redis:// broker, is configured;
# on the embedded default the database's table `register_cache` (made by migration loanregister 0020, so a fresh
# `make run` has it). The register keys its cached totals by a version in PostgreSQL (loanregister/register_cache.py),
# so a write in one process makes every process's cached totals unreachable.
_CACHE_URL = env_str("CACHE_URL") or env_str("CELERY_BROKER_URL") or env_str("BROKER_URL") or ""
CACHES = {
    "default": (
        {
            # Django's RedisCache, answering as a miss when Redis is down (common/cache.py): no page needs it
            "BACKEND": "common.cache.ResilientRedisCache",
            "LOCATION": _CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "lr"),
        }
        if _CACHE_URL.startswith(("redis://", "rediss://", "unix://"))
        else {
            # Django's database cache, a `set` in one statement instead of five (common/cache.py)
            "BACKEND": "common.cache.UpsertDatabaseCache",
            "LOCATION": "register_cache",
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "lr"),
            "OPTIONS": {"MAX_ENTRIES": 5000, "CULL_FREQUENCY": 4},
        }
    )
}

# Sessions read through the shared cache, kept in the database (Django's cached_db): a signed-in page reads its
# session by one plain cache read instead of an ORM query (0.2 against 0.75 ms of CPU; issue 9, target 1). The
# database stays the record: sign-out and expiry delete both, and a cache miss (Redis down, culled) reads the row.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
# Our adjustments to Django's Danish and English formats (config/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Outside production the files come from the apps through the finders; collectstatic is a production step.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
EXPORT_ROOT = Path(env_str("EXPORT_ROOT", str(VAR_DIR / "exports")))
# Origination (docs/origination.md): applicants' documents outside MEDIA_ROOT and the web root, served only by the
# application's download view; their largest size; the funded loans' numbers, prefix + sequence.
ORIGINATION_DOCUMENT_ROOT = Path(env_str("ORIGINATION_DOCUMENT_ROOT", str(VAR_DIR / "private" / "applications")))
ORIGINATION_DOCUMENT_MAX_BYTES = env_int("ORIGINATION_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
ORIGINATION_LOAN_NUMBER_PREFIX = env_str("ORIGINATION_LOAN_NUMBER_PREFIX", "NL")
ORIGINATION_LOAN_NUMBER_DIGITS = env_int("ORIGINATION_LOAN_NUMBER_DIGITS", 8)

# A form refused for its CSRF token gets the site's error page, saying what to do (common/views.py).
CSRF_FAILURE_VIEW = "common.views.csrf_failure"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock an account and address after repeated failures (OWASP ASVS 2.2.1).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# No "AXES: BEGIN" on every command, no four lines per login: common/signin.py logs one line per sign-in attempt;
# a lock-out is logged there too, once.
AXES_VERBOSE = False

# Celery: with no broker configured, tasks run in-process (the embedded default).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("BROKER_URL") or ""
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ACKS_LATE = True  # nightly jobs are idempotent, so redelivery after a crash is safe
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 5

# The nightly jobs and their default times. The schedule itself is held in the database (django-celery-beat's
# PeriodicTask and CrontabSchedule), where an admin edits a job's time or switches it off without a deploy: migrate
# gives each entry here that has none a PeriodicTask, and never changes one that exists (common/schedule.py).
# Celery beat reads it on the full stack, `manage.py run_scheduler` on the embedded default. Each expires before
# its next run so that missed runs do not pile up.
NIGHTLY_JOBS = {
    # name: (task path, hour, minute), or (task path, hour, minute, "monthly"): run on the month's first bank day only
    "installments_due": ("servicing.tasks.installments_due_task", 1, 45),
    "payment_notices": ("servicing.tasks.payment_notices_task", 2, 0),
    "collection_reminders": ("servicing.tasks.collection_reminders_task", 2, 15),
    "servicing_transfers": ("servicing.tasks.servicing_transfers_task", 0, 15),
    "escrow_disbursements": ("servicing.tasks.escrow_disbursements_task", 2, 30),
    "application_expiry": ("origination.tasks.application_expiry_task", 2, 45),
    # after the servicing jobs, then the digests (docs/requirements.md §5's order within a night)
    "maturity_radar": ("loanregister.tasks.maturity_radar_task", 3, 0),
    "lead_digests": ("loanregister.tasks.lead_digests_task", 3, 30),
    # monthly: the previous month's lending statistics closed on the month's first bank day (issue 13 item 4)
    "lending_stats_close": ("stats.tasks.close_month_task", 4, 0, "monthly"),
    # last: the outbox's delivered messages older than OUTBOX_KEEP_DAYS (30) deleted
    "outbox_purge": ("common.tasks.outbox_purge_task", 5, 0),
}
# django-celery-beat's database scheduler, which runs a monthly job on the month's first bank day only
CELERY_BEAT_SCHEDULER = "common.schedule:NightlyScheduler"

# Outside production, mail goes to files in var/mail: the nightly notices of a demo book are thousands of
# e-mails, which on the console would bury everything else `make run` prints.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail")))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "servicing@example.dk")
# The address people open the app at (e.g. https://laan.example.dk), for links in e-mails such as the lead digest;
# without it the e-mails name the page instead of linking to it.
SITE_URL = env_str("SITE_URL", "")
# What the payment notices (SRV-2) tell borrowers: who writes, where to pay, where to get help (COL-6).
SERVICING_FIRM_NAME = env_str("SERVICING_FIRM_NAME", "")
SERVICING_PAYMENT_ACCOUNT = env_str("SERVICING_PAYMENT_ACCOUNT", "")
SERVICING_HELP_PHONE = env_str("SERVICING_HELP_PHONE", "")
SERVICING_HELP_EMAIL = env_str("SERVICING_HELP_EMAIL", "")
# Who lends: the payoff statement names it (the servicer's firm when not set).
LENDER_NAME = env_str("LENDER_NAME", "") or SERVICING_FIRM_NAME
# A payment or recovery typed by hand that is more than this (whole units of the loan's currency) above what pays
# the loan off is refused unless the clerk ticks that it is right (docs/servicing.md, "Amounts typed by hand").
SERVICING_AMOUNT_MARGIN = env_int("SERVICING_AMOUNT_MARGIN", 10000)
# Our own servicer, which a data migration creates on a fresh database (renamed in admin afterwards): a loan file
# with a blank `servicer` column assigns its loans to it. The settings only name it when it is created.
OWN_SERVICER_CODE = env_str("OWN_SERVICER_CODE", "") or "OWN"
OWN_SERVICER_NAME = env_str("OWN_SERVICER_NAME", "") or SERVICING_FIRM_NAME or "Egen administration"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # a refused request (4xx) is one line from common.refusals; Django's own line for it is dropped
    "filters": {"refusals_once": {"()": "common.middleware.RefusalLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "ERROR"},
        "django.request": {"filters": ["refusals_once"]},
        "django.security.csrf": {"filters": ["refusals_once"]},
    },
}

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

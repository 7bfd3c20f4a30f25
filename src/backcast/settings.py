"""Django settings, driven by the environment (see :mod:`backcast.config` and the README).

With nothing set, Backcast runs locally on an SQLite file in the per-user data folder. Setting
``BACKCAST_PRODUCTION=true`` turns on the hardened mode that ``manage.py check --deploy`` accepts.
"""

from __future__ import annotations

import os
from pathlib import Path

import django_stubs_ext

from backcast import config, limits

django_stubs_ext.monkeypatch()  # lets admin.ModelAdmin[Model] and friends be subscripted at run time

CONFIG = config.load(os.environ)

DATA_DIR = CONFIG.data_dir
PRODUCTION = CONFIG.production
DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

INSTALLED_APPS = [
    "backcast.web",  # first: its templates replace the admin's and auth's where names are shared
    "backcast.accounts",
    "backcast.organizations",
    "backcast.goals",
    "backcast.replanning",
    "backcast.feeds",
    "backcast.activity",
    "backcast.notifications",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "backcast.request_limits.RequestLimitMiddleware",  # before anything reads a body (CSRF does)
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backcast.activity.middleware.ActorMiddleware",  # events written during a request name its user
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "backcast.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "backcast.urls"
WSGI_APPLICATION = "backcast.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# collectstatic's target; only production collects (and WhiteNoise warns about a missing folder).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static")) if PRODUCTION else None
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
# Outside production, WhiteNoise serves straight from the apps' static folders: no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION

globals().update(CONFIG.email)
SERVER_EMAIL = CONFIG.email["DEFAULT_FROM_EMAIL"]
# Notifications: where links in messages point, webhook timeout, attempts per delivery (config.py).
BACKCAST_BASE_URL: str = CONFIG.notifications["BACKCAST_BASE_URL"]
BACKCAST_WEBHOOK_TIMEOUT: int = CONFIG.notifications["BACKCAST_WEBHOOK_TIMEOUT"]
BACKCAST_DELIVERY_MAX_ATTEMPTS: int = CONFIG.notifications["BACKCAST_DELIVERY_MAX_ATTEMPTS"]
# Networks webhooks may reach besides public addresses (services.notify.webhook_targets); none by default.
BACKCAST_WEBHOOK_ALLOWED_NETWORKS: list[str] = CONFIG.notifications["BACKCAST_WEBHOOK_ALLOWED_NETWORKS"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = CONFIG.ssl_redirect
    SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# A reverse proxy's X-Forwarded-Proto and X-Forwarded-Host are believed only with BEHIND_PROXY=true;
# log-in throttling counts failures per client address: REMOTE_ADDR, or with TRUST_X_FORWARDED_FOR
# the first X-Forwarded-For hop (config.proxy_config; backcast.services.platform.throttle).
globals().update(CONFIG.proxy)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {
        "mask_secrets": {"()": "backcast.security.MaskSecretsFilter"},
        "one_line_4xx": {"()": "backcast.security.ConciseClientErrorsFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["one_line_4xx", "mask_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Masked where they are logged too, so Django's own handlers (mail_admins) see no secret.
        "django.request": {"filters": ["one_line_4xx", "mask_secrets"]},
        "django.server": {"filters": ["mask_secrets"]},
    },
}

# API tokens: how often the last-used time is written (seconds); avoids a write on every request.
BACKCAST_TOKEN_TOUCH_INTERVAL = 60

# The largest request bodies (MAX_BODY_MB, MAX_UPLOAD_MB; see backcast.limits), refused by
# backcast.request_limits before anything reads them; Django's own checks hold the same numbers.
BACKCAST_MAX_BODY_BYTES: int = CONFIG.limits["BACKCAST_MAX_BODY_BYTES"]
BACKCAST_MAX_UPLOAD_BYTES: int = CONFIG.limits["BACKCAST_MAX_UPLOAD_BYTES"]
DATA_UPLOAD_MAX_MEMORY_SIZE = BACKCAST_MAX_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = limits.FORM_FIELDS

# How many days a deleted goal or milestone stays restorable in the trash before the purge
# deletes it for good (TRASH_RETENTION_DAYS; read by backcast.services.goals.trash as it runs).
BACKCAST_TRASH_RETENTION_DAYS: int = CONFIG.trash_retention_days

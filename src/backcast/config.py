"""Configuration read from the environment, with safe defaults for a single-user local run.

Everything here is a pure function of an environment mapping, so it is tested without touching
``os.environ``. Faults raise :class:`ConfigError` with one line a person can act on; the command
line prints that line and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from backcast import limits

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}
SQLITE_SCHEMES = {"sqlite"}
MIN_SECRET_KEY_LENGTH = 50
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
LOCAL_BASE_URL = "http://127.0.0.1:8000"
TRASH_RETENTION_DAYS = 30  # unless TRASH_RETENTION_DAYS says otherwise


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and the fault."""


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    """Read a yes/no variable; anything but the usual spellings is an error, not a silent no."""
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(f"{name}: expected true or false, got {raw!r}")


def env_int(env: Mapping[str, str], name: str, default: int) -> int:
    """Read a whole-number variable."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None


def env_list(env: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, ignoring blanks."""
    raw = env.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir(env: Mapping[str, str]) -> Path:
    """The per-user data folder: ``BACKCAST_DATA_DIR``, else ``$XDG_DATA_HOME/backcast``."""
    explicit = env.get("BACKCAST_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = env.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "backcast"
    return Path(platformdirs.user_data_dir("backcast", appauthor=False))


def database_config(env: Mapping[str, str], folder: Path) -> dict[str, Any]:
    """Django's ``DATABASES['default']`` from ``DATABASE_URL``; an SQLite file in ``folder`` if unset.

    Only SQLite and PostgreSQL are supported; any other scheme, or a PostgreSQL URL without a
    database name, is refused here rather than failing later with a driver traceback.
    """
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        return sqlite_config(folder / "backcast.sqlite3")
    scheme = urlsplit(url).scheme.lower()
    if scheme in SQLITE_SCHEMES:
        path = url.split("://", 1)[1] if "://" in url else ""
        if not path or path == "/":
            raise ConfigError(
                "DATABASE_URL: an sqlite URL needs a file path, e.g. sqlite:////var/lib/backcast/db.sqlite3"
            )
        return sqlite_config(Path(path[1:] if path.startswith("/") else path))
    if scheme in POSTGRES_SCHEMES:
        return postgres_config(url)
    shown = scheme or url
    raise ConfigError(
        f"DATABASE_URL: unsupported database {shown!r}; use postgres://USER@HOST:PORT/NAME "
        "or leave it unset for the embedded SQLite file"
    )


def sqlite_config(path: Path) -> dict[str, Any]:
    """SQLite tuned for a small multi-process server: WAL journal and immediate transactions."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


def postgres_config(url: str) -> dict[str, Any]:
    """PostgreSQL through psycopg 3, with persistent connections checked before reuse
    (:mod:`backcast.database`: Django's backend with a check that costs no round trip)."""
    import dj_database_url

    try:
        parsed: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL: {exc}") from None
    if not parsed.get("NAME"):
        raise ConfigError("DATABASE_URL: no database name, e.g. postgres://postgres@127.0.0.1:5432/backcast")
    parsed["ENGINE"] = "backcast.database"  # Django's PostgreSQL backend, checked more cheaply
    return parsed


def secret_key(env: Mapping[str, str], production: bool, folder: Path) -> str:
    """``SECRET_KEY`` from the environment; required and strong in production.

    For a local run without one, a random key is generated once and kept in the data folder, so
    sessions survive restarts and no key is ever shipped in the code.
    """
    key = env.get("SECRET_KEY", "")
    if key:
        if production and (len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5):
            raise ConfigError(
                f"SECRET_KEY: too weak for production; use at least {MIN_SECRET_KEY_LENGTH} random "
                "characters (backcast manage shell -c 'from django.core.management.utils import "
                "get_random_secret_key; print(get_random_secret_key())')"
            )
        return key
    if production:
        raise ConfigError("SECRET_KEY: must be set in production mode (BACKCAST_PRODUCTION=true)")
    return local_secret_key(folder)


def local_secret_key(folder: Path) -> str:
    """Read, or create with owner-only permissions, the key file of a local installation."""
    path = folder / "secret_key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ConfigError(f"BACKCAST_DATA_DIR: cannot read {path}: {exc.strerror}") from None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(64)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"BACKCAST_DATA_DIR: cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def limits_config(env: Mapping[str, str]) -> dict[str, int]:
    """The largest request bodies, in bytes: ``MAX_BODY_MB`` for JSON and forms, ``MAX_UPLOAD_MB``
    for a file on the import page (defaults and reasons in :mod:`backcast.limits`)."""
    body = env_int(env, "MAX_BODY_MB", limits.BODY_MB)
    upload = env_int(env, "MAX_UPLOAD_MB", limits.UPLOAD_MB)
    if not 1 <= body <= 100:
        raise ConfigError(f"MAX_BODY_MB: expected 1 to 100 megabytes, got {body}")
    if not 1 <= upload <= 1024:
        raise ConfigError(f"MAX_UPLOAD_MB: expected 1 to 1024 megabytes, got {upload}")
    return {"BACKCAST_MAX_BODY_BYTES": body * limits.MB, "BACKCAST_MAX_UPLOAD_BYTES": upload * limits.MB}


def trash_retention_days(env: Mapping[str, str]) -> int:
    """``TRASH_RETENTION_DAYS``: how long a deleted goal or milestone stays restorable in the
    trash before the purge deletes it for good (:mod:`backcast.services.goals.trash`)."""
    days = env_int(env, "TRASH_RETENTION_DAYS", TRASH_RETENTION_DAYS)
    if not 1 <= days <= 3650:
        raise ConfigError(f"TRASH_RETENTION_DAYS: expected 1 to 3650 days, got {days}")
    return days


def allowed_hosts(env: Mapping[str, str], production: bool) -> list[str]:
    """``ALLOWED_HOSTS``: the host names the server answers to; in production, named ones only.

    Django answers 400 to a request whose ``Host`` (behind a proxy, ``X-Forwarded-Host``) is
    not listed. ``*`` lets any name through, so anything built from the request's host could be
    made to name a stranger's; production refuses it, as it refuses an empty list. A leading
    dot (``.example.com``) is Django's pattern for a domain and its subdomains.
    """
    hosts = env_list(env, "ALLOWED_HOSTS", [] if production else LOCAL_HOSTS)
    if production and not hosts:
        raise ConfigError("ALLOWED_HOSTS: must name the host names the server answers to in production mode")
    if production and any("*" in host for host in hosts):
        raise ConfigError(
            "ALLOWED_HOSTS: '*' lets any host name in; name the hosts the server answers to in "
            "production mode, e.g. ALLOWED_HOSTS=ops.example.com"
        )
    return hosts


def base_url_default(env: Mapping[str, str], production: bool, hosts: list[str]) -> str:
    """Where links point when ``BACKCAST_BASE_URL`` is unset: this machine for a local run, and
    in production ``https://`` and the first of ``ALLOWED_HOSTS`` (it must be a name then)."""
    if not production:
        return LOCAL_BASE_URL
    if hosts[0].startswith(".") and not env.get("BACKCAST_BASE_URL"):
        raise ConfigError(
            f"BACKCAST_BASE_URL: must be set in production mode when the first of ALLOWED_HOSTS "
            f"is a pattern ({hosts[0]}), e.g. https://ops.example.com"
        )
    return f"https://{hosts[0]}"


def proxy_config(env: Mapping[str, str]) -> dict[str, Any]:
    """Which headers of a reverse proxy Django believes: none unless ``BEHIND_PROXY=true``.

    ``X-Forwarded-Proto`` says the client came over HTTPS and ``X-Forwarded-Host`` which name it
    asked for; sent by a client straight to the app, they are whatever it likes. So they are read
    only when the operator says a proxy in front sets them, replacing what the client sent.
    ``TRUST_X_FORWARDED_FOR`` (log-in throttling by the first ``X-Forwarded-For`` hop, see
    :mod:`backcast.services.platform.throttle`) needs such a proxy too.
    """
    behind = env_bool(env, "BEHIND_PROXY", False)
    forwarded_for = env_bool(env, "TRUST_X_FORWARDED_FOR", False)
    if forwarded_for and not behind:
        raise ConfigError(
            "TRUST_X_FORWARDED_FOR: needs BEHIND_PROXY=true, the app reachable only through a "
            "reverse proxy that sets the header"
        )
    return {
        "USE_X_FORWARDED_HOST": behind,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https") if behind else None,
        "BACKCAST_TRUST_X_FORWARDED_FOR": forwarded_for,
    }


def notification_config(env: Mapping[str, str], default_base: str = LOCAL_BASE_URL) -> dict[str, Any]:
    """Where links in e-mails, chat messages and password resets point (``default_base`` when
    ``BACKCAST_BASE_URL`` is unset), and how outgoing webhooks are sent."""
    base = env.get("BACKCAST_BASE_URL", default_base).strip().rstrip("/")
    if urlsplit(base).scheme not in {"http", "https"} or not urlsplit(base).netloc:
        raise ConfigError(f"BACKCAST_BASE_URL: expected http(s)://HOST[:PORT], got {base!r}")
    timeout = env_int(env, "WEBHOOK_TIMEOUT", 5)
    attempts = env_int(env, "WEBHOOK_MAX_ATTEMPTS", 6)
    if not 1 <= timeout <= 60:
        raise ConfigError(f"WEBHOOK_TIMEOUT: expected 1 to 60 seconds, got {timeout}")
    if not 1 <= attempts <= 20:
        raise ConfigError(f"WEBHOOK_MAX_ATTEMPTS: expected 1 to 20, got {attempts}")
    return {
        "BACKCAST_BASE_URL": base,
        "BACKCAST_WEBHOOK_TIMEOUT": timeout,
        "BACKCAST_DELIVERY_MAX_ATTEMPTS": attempts,
        "BACKCAST_WEBHOOK_ALLOWED_NETWORKS": allowed_networks(env),
    }


def allowed_networks(env: Mapping[str, str]) -> list[str]:
    """``WEBHOOK_ALLOWED_NETWORKS``: networks webhooks may reach besides public addresses.

    Comma-separated, each an address or a network in CIDR form (``127.0.0.1/32,10.0.0.0/8``,
    ``::1``); none by default, so webhooks reach neither this machine nor its private network.
    """
    networks = []
    for item in env_list(env, "WEBHOOK_ALLOWED_NETWORKS", []):
        try:
            networks.append(str(ipaddress.ip_network(item)))
        except ValueError as exc:
            raise ConfigError(f"WEBHOOK_ALLOWED_NETWORKS: {exc}") from None
    return networks


@dataclass(frozen=True)
class Config:
    """The settings Backcast derives from its environment."""

    production: bool
    debug: bool
    data_dir: Path
    secret_key: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    database: dict[str, Any]
    email: dict[str, Any] = field(default_factory=dict)
    notifications: dict[str, Any] = field(default_factory=dict)
    ssl_redirect: bool = False
    proxy: dict[str, Any] = field(default_factory=dict)  # Django's settings for a reverse proxy
    hsts_seconds: int = 0
    limits: dict[str, int] = field(default_factory=dict)
    trash_retention_days: int = TRASH_RETENTION_DAYS


def load(env: Mapping[str, str]) -> Config:
    """Build the configuration; raises :class:`ConfigError` on the first fault found."""
    production = env_bool(env, "BACKCAST_PRODUCTION", False)
    debug = env_bool(env, "DEBUG", False)
    if production and debug:
        raise ConfigError("DEBUG: must be false in production mode (BACKCAST_PRODUCTION=true)")
    folder = data_dir(env)
    hosts = allowed_hosts(env, production)
    email = {
        "EMAIL_BACKEND": env.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
        "EMAIL_HOST": env.get("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": env_int(env, "EMAIL_PORT", 25),
        "EMAIL_HOST_USER": env.get("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": env.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": env_bool(env, "EMAIL_USE_TLS", False),
        "EMAIL_USE_SSL": env_bool(env, "EMAIL_USE_SSL", False),
        "DEFAULT_FROM_EMAIL": env.get("DEFAULT_FROM_EMAIL", "Backcast <backcast@localhost>"),
    }
    if email["EMAIL_USE_TLS"] and email["EMAIL_USE_SSL"]:
        raise ConfigError("EMAIL_USE_TLS and EMAIL_USE_SSL: set at most one of them")
    notifications = notification_config(env, base_url_default(env, production, hosts))
    return Config(
        production=production,
        debug=debug,
        data_dir=folder,
        secret_key=secret_key(env, production, folder),
        allowed_hosts=hosts,
        csrf_trusted_origins=env_list(env, "CSRF_TRUSTED_ORIGINS", []),
        database=database_config(env, folder),
        email=email,
        notifications=notifications,
        ssl_redirect=env_bool(env, "SECURE_SSL_REDIRECT", production),
        proxy=proxy_config(env),
        hsts_seconds=env_int(env, "SECURE_HSTS_SECONDS", 31_536_000 if production else 0),
        limits=limits_config(env),
        trash_retention_days=trash_retention_days(env),
    )

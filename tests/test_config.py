"""Configuration from the environment: safe local defaults, clear faults, a hardened production."""

from __future__ import annotations

from pathlib import Path

import pytest

from backcast import config
from backcast.config import ConfigError, load

STRONG = "k" * 30 + "abcdefghijklmnopqrstuvwxyz0123456789"


def test_local_defaults(tmp_path: Path) -> None:
    cfg = load({"BACKCAST_DATA_DIR": str(tmp_path)})
    assert not cfg.production and not cfg.debug
    assert cfg.database["ENGINE"] == "django.db.backends.sqlite3"
    assert cfg.database["NAME"] == str(tmp_path / "backcast.sqlite3")
    assert "127.0.0.1" in cfg.allowed_hosts
    key_file = tmp_path / "secret_key"
    assert cfg.secret_key == key_file.read_text()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert load({"BACKCAST_DATA_DIR": str(tmp_path)}).secret_key == cfg.secret_key  # kept, not regenerated


def test_xdg_data_home_is_honoured(tmp_path: Path) -> None:
    assert config.data_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "backcast"


def test_postgres_url(tmp_path: Path) -> None:
    cfg = load(
        {"BACKCAST_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://bc:pw@db.example:6543/backcast"}
    )
    db = cfg.database
    assert db["ENGINE"] == "backcast.database"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "backcast",
        "bc",
        "pw",
        "db.example",
        6543,
    )


def test_sqlite_url(tmp_path: Path) -> None:
    cfg = load({"BACKCAST_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert cfg.database["NAME"] == f"{tmp_path}/x.db"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL: unsupported database 'mysql'"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL: unsupported database"),
        ({"DATABASE_URL": "postgres://u@h:5432"}, "DATABASE_URL: no database name"),
        ({"DATABASE_URL": "postgres://u@h:notaport/db"}, "DATABASE_URL:"),
        ({"DATABASE_URL": "sqlite://"}, "DATABASE_URL: an sqlite URL needs a file path"),
        ({"DEBUG": "maybe"}, "DEBUG: expected true or false"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT: expected a whole number"),
        ({"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"}, "set at most one"),
        (
            {"BACKCAST_PRODUCTION": "true", "ALLOWED_HOSTS": "x.example"},
            "SECRET_KEY: must be set in production",
        ),
        (
            {"BACKCAST_PRODUCTION": "true", "ALLOWED_HOSTS": "x.example", "SECRET_KEY": "short"},
            "SECRET_KEY: too weak",
        ),
        ({"BACKCAST_PRODUCTION": "true", "SECRET_KEY": STRONG}, "ALLOWED_HOSTS: must name"),
        ({"BACKCAST_PRODUCTION": "true", "SECRET_KEY": STRONG, "ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS: '*'"),
        (
            {"BACKCAST_PRODUCTION": "true", "SECRET_KEY": STRONG, "ALLOWED_HOSTS": "ops.example,*"},
            "ALLOWED_HOSTS: '*' lets any host name in",
        ),
        (
            {"BACKCAST_PRODUCTION": "true", "SECRET_KEY": STRONG, "ALLOWED_HOSTS": ".ops.example"},
            "BACKCAST_BASE_URL: must be set in production mode",
        ),
        ({"TRUST_X_FORWARDED_FOR": "true"}, "TRUST_X_FORWARDED_FOR: needs BEHIND_PROXY=true"),
        ({"BACKCAST_PRODUCTION": "true", "DEBUG": "true"}, "DEBUG: must be false in production"),
    ],
)
def test_faults_name_the_variable(tmp_path: Path, env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load({"BACKCAST_DATA_DIR": str(tmp_path), **env})
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_production_mode(tmp_path: Path) -> None:
    cfg = load(
        {
            "BACKCAST_PRODUCTION": "yes",
            "SECRET_KEY": STRONG,
            "ALLOWED_HOSTS": "ops.example, ,backcast.example",
        }
    )
    assert cfg.production and cfg.ssl_redirect
    assert cfg.allowed_hosts == ["ops.example", "backcast.example"]
    assert cfg.hsts_seconds == 31_536_000
    assert cfg.notifications["BACKCAST_BASE_URL"] == "https://ops.example"  # links name the site


def test_proxy_headers_are_believed_only_when_a_proxy_is_configured(tmp_path: Path) -> None:
    """A client talking to the app directly must not choose the host or scheme Django believes."""
    production = {"BACKCAST_PRODUCTION": "true", "SECRET_KEY": STRONG, "ALLOWED_HOSTS": "ops.example"}
    for env in ({"BACKCAST_DATA_DIR": str(tmp_path)}, production):
        proxy = load(env).proxy
        assert proxy == {
            "USE_X_FORWARDED_HOST": False,
            "SECURE_PROXY_SSL_HEADER": None,
            "BACKCAST_TRUST_X_FORWARDED_FOR": False,
        }
    proxy = load(production | {"BEHIND_PROXY": "true", "TRUST_X_FORWARDED_FOR": "true"}).proxy
    assert proxy == {
        "USE_X_FORWARDED_HOST": True,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "BACKCAST_TRUST_X_FORWARDED_FOR": True,
    }
    assert (
        load(production | {"BACKCAST_BASE_URL": "https://plan.example/"}).notifications["BACKCAST_BASE_URL"]
        == "https://plan.example"
    )


def test_body_limits_default_and_move_with_the_environment(tmp_path: Path) -> None:
    env = {"BACKCAST_DATA_DIR": str(tmp_path)}
    assert load(env).limits == {"BACKCAST_MAX_BODY_BYTES": 4 * 2**20, "BACKCAST_MAX_UPLOAD_BYTES": 25 * 2**20}
    moved = load(env | {"MAX_BODY_MB": "8", "MAX_UPLOAD_MB": "100"}).limits
    assert moved == {"BACKCAST_MAX_BODY_BYTES": 8 * 2**20, "BACKCAST_MAX_UPLOAD_BYTES": 100 * 2**20}
    for name, value in [("MAX_BODY_MB", "0"), ("MAX_BODY_MB", "101"), ("MAX_UPLOAD_MB", "2048")]:
        with pytest.raises(ConfigError, match=f"^{name}: expected 1 to"):
            load(env | {name: value})


def test_trash_retention_defaults_to_30_days_and_moves_with_the_environment(tmp_path: Path) -> None:
    env = {"BACKCAST_DATA_DIR": str(tmp_path)}
    assert load(env).trash_retention_days == 30
    assert load(env | {"TRASH_RETENTION_DAYS": "7"}).trash_retention_days == 7
    assert load(env | {"TRASH_RETENTION_DAYS": "3650"}).trash_retention_days == 3650
    for value in ["0", "3651", "-1"]:
        with pytest.raises(ConfigError, match=r"^TRASH_RETENTION_DAYS: expected 1 to 3650 days"):
            load(env | {"TRASH_RETENTION_DAYS": value})
    with pytest.raises(ConfigError, match=r"^TRASH_RETENTION_DAYS: expected a whole number"):
        load(env | {"TRASH_RETENTION_DAYS": "a week"})


def test_unwritable_data_dir_is_a_clear_fault(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match=r"BACKCAST_DATA_DIR: cannot (read|write)"):
        load({"BACKCAST_DATA_DIR": str(blocker / "sub")})

"""Notification settings from the environment: safe defaults, one-line faults."""

from __future__ import annotations

import pytest

from backcast.config import ConfigError, notification_config


def test_defaults() -> None:
    assert notification_config({}) == {
        "BACKCAST_BASE_URL": "http://127.0.0.1:8000",
        "BACKCAST_WEBHOOK_TIMEOUT": 5,
        "BACKCAST_DELIVERY_MAX_ATTEMPTS": 6,
        "BACKCAST_WEBHOOK_ALLOWED_NETWORKS": [],
    }
    assert notification_config({"BACKCAST_BASE_URL": "https://ops.example/"})["BACKCAST_BASE_URL"] == (
        "https://ops.example"
    )


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"BACKCAST_BASE_URL": "ops.example"}, "BACKCAST_BASE_URL"),
        ({"WEBHOOK_TIMEOUT": "0"}, "WEBHOOK_TIMEOUT"),
        ({"WEBHOOK_TIMEOUT": "soon"}, "WEBHOOK_TIMEOUT"),
        ({"WEBHOOK_MAX_ATTEMPTS": "100"}, "WEBHOOK_MAX_ATTEMPTS"),
        ({"WEBHOOK_ALLOWED_NETWORKS": "10.0.0.1/8"}, "WEBHOOK_ALLOWED_NETWORKS"),
        ({"WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32,intranet"}, "WEBHOOK_ALLOWED_NETWORKS"),
    ],
)
def test_faults_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name}: "):
        notification_config(env)


def test_allowed_networks_are_read_as_networks() -> None:
    env = {"WEBHOOK_ALLOWED_NETWORKS": " 127.0.0.1/32, 10.0.0.0/8 ,::1,"}
    assert notification_config(env)["BACKCAST_WEBHOOK_ALLOWED_NETWORKS"] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
        "::1/128",
    ]

"""The API tests' client: alice, through a bearer token."""

from __future__ import annotations

import pytest

from backcast.accounts.models import User
from tests.api.client import Api


@pytest.fixture
def api(alice: User) -> Api:
    return Api(alice)

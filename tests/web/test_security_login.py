"""Password guessing is throttled on the site's log-in and the back office's, with CSRF enforced."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import resolve

from backcast.accounts.models import LoginThrottle, User
from backcast.services.platform import throttle
from tests.conftest import PASSWORD

WRONG = "not the password"


def attempt(client: Client, email: str, password: str, url: str = "/account/login/", **extra: Any) -> Any:
    """One log-in through the form, with the CSRF token the page set, as a browser sends it."""
    client.get(url, **extra)
    token = client.cookies["csrftoken"].value
    return client.post(url, {"username": email, "password": password, "csrfmiddlewaretoken": token}, **extra)


def logged_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_the_login_page_is_the_throttled_one() -> None:
    from backcast.web.views.accounts import ThrottledLoginView

    assert resolve("/account/login/").func.view_class is ThrottledLoginView  # type: ignore[attr-defined]


def test_a_login_without_its_csrf_token_is_refused_and_not_counted(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/account/login/", {"username": alice.email, "password": WRONG})
    assert response.status_code == 403
    assert not LoginThrottle.objects.exists()


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    for _ in range(4):
        assert attempt(client, alice.email, WRONG).status_code == 200
    fifth = attempt(client, alice.email, WRONG)
    assert fifth.status_code == 429
    assert "Try again in 15 minutes" in fifth.content.decode()
    right = attempt(client, alice.email, PASSWORD)
    assert right.status_code == 429
    assert (
        "Too many failed log-ins for this account. Try again in 15 minutes (after" in right.content.decode()
    )
    assert logged_in_as(client) is None
    # from another machine too: the lock is on the account
    other = attempt(Client(enforce_csrf_checks=True), alice.email, PASSWORD, REMOTE_ADDR="198.51.100.1")
    assert other.status_code == 429


def test_a_success_resets_the_account_count(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    for _ in range(4):
        attempt(client, alice.email, WRONG)
    assert attempt(client, alice.email, PASSWORD).status_code == 302
    assert logged_in_as(client) == str(alice.pk)
    client = Client(enforce_csrf_checks=True)
    for _ in range(4):
        assert attempt(client, alice.email, WRONG).status_code == 200
    assert attempt(client, alice.email, PASSWORD).status_code == 302


def test_the_lock_ends_and_the_right_password_works_again(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    for _ in range(5):
        attempt(client, alice.email, WRONG)
    assert attempt(client, alice.email, PASSWORD).status_code == 429
    row = LoginThrottle.objects.get(scope="account")
    assert row.locked_until is not None
    LoginThrottle.objects.filter(pk=row.pk).update(locked_until=row.locked_until - throttle.ACCOUNT.lock)
    assert attempt(client, alice.email, PASSWORD).status_code == 302


def test_one_address_spraying_many_accounts_is_refused(alice: User, bob: User, settings: Any) -> None:
    settings.BACKCAST_LOGIN_THROTTLE = {"address": throttle.Policy(limit=3)}
    client = Client(enforce_csrf_checks=True)
    for name in ("a", "b"):
        assert attempt(client, f"{name}@acme.test", WRONG).status_code == 200
    assert attempt(client, "c@acme.test", WRONG).status_code == 429
    response = attempt(client, bob.email, PASSWORD)  # bob's own account is fine, the address is not
    assert response.status_code == 429
    assert "your network address" in response.content.decode()
    assert (
        attempt(Client(enforce_csrf_checks=True), bob.email, PASSWORD, REMOTE_ADDR="10.9.9.9").status_code
        == 302
    )


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(alice: User, settings: Any) -> None:
    settings.BACKCAST_LOGIN_THROTTLE = {"address": throttle.Policy(limit=2)}
    settings.BACKCAST_TRUST_X_FORWARDED_FOR = True
    client = Client(enforce_csrf_checks=True)
    for hop in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        # one failure per client behind the same proxy address: no client reaches the limit
        forwarded = f"{hop}, 10.0.0.1"
        assert attempt(client, f"x-{hop}@acme.test", WRONG, HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    addresses = set(LoginThrottle.objects.filter(scope="address").values_list("key", flat=True))
    assert addresses == {"198.51.100.1", "198.51.100.2", "198.51.100.3"}


def test_the_back_office_login_is_throttled_alike(db: None) -> None:
    staff = User.objects.create_user("ops@acme.test", PASSWORD, is_staff=True, is_superuser=True)
    client = Client(enforce_csrf_checks=True)
    for _ in range(3):
        attempt(client, staff.email, WRONG, url="/admin/login/")
    for _ in range(2):  # the same count as the site's log-in: one door, one counter
        attempt(client, staff.email, WRONG)
    response = attempt(client, staff.email, PASSWORD, url="/admin/login/")
    assert "Too many failed log-ins for this account" in response.content.decode()
    assert logged_in_as(client) is None
    assert client.get("/admin/").status_code == 302
    LoginThrottle.objects.update(locked_until=None)
    assert attempt(client, staff.email, PASSWORD, url="/admin/login/").status_code == 302
    assert client.get("/admin/").status_code == 200

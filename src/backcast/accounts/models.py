"""People and their API tokens. Tenancy (which organisations a person sees) is in organizations."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from backcast.text import validate_one_line


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by e-mail address, normalised so that one address is one person."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)  # None makes an unusable password (invite, reset later)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address and a password (hashed with Argon2).

    ``is_staff`` opens Django's admin (the back office); it grants nothing inside organisations,
    where access comes only from memberships.
    """

    email = models.EmailField("e-mail address", unique=True)
    name = models.CharField(max_length=150, blank=True, validators=[validate_one_line])
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name if one was given, else the e-mail address."""
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class TokenScope(models.TextChoices):
    """What an API token may do: read only, or read and write (within the user's roles)."""

    READ = "read", "Read only"
    WRITE = "write", "Read and write"


def token_digest(raw: str) -> str:
    """SHA-256 of a token. Tokens carry 256 random bits, so a fast hash is safe and lookups are O(1)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API, stored only as a digest and shown once at creation.

    ``prefix`` is the token's public first part, so a person can tell tokens apart in a list
    without the secret ever being stored or displayed again.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, validators=[validate_one_line])
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.WRITE)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        """A token works until it is revoked."""
        return self.revoked_at is None


class ThrottleScope(models.TextChoices):
    """What a login-failure counter is kept for: one account (by the name typed) or one client address."""

    ACCOUNT = "account", "Account"
    ADDRESS = "address", "Client address"


class LoginThrottle(models.Model):
    """Failed log-ins counted for one account name or one client address, and its lock if any.

    Kept in the database so that every app process sees the same counts. ``failures`` counts
    within the window that began at ``window_start``; reaching the limit sets ``locked_until`` and
    adds one to ``lockouts``, which makes the next lock longer. Rows of names that belong to no
    one are kept as well (the answer must not tell whether an account exists) and pruned once
    stale. The arithmetic is in ``backcast.services.platform.throttle``.
    """

    scope = models.CharField(max_length=7, choices=ThrottleScope.choices)
    key = models.CharField(max_length=254)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    lockouts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_unique_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.failures} failures"

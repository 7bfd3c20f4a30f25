"""Where a webhook may send: the address policy that keeps webhooks off the instance's own network.

An organisation's admin chooses a webhook's URL, and the worker sends from inside the network
Backcast runs in, so without a rule a URL could reach the database, the cache or the cloud's
metadata service. :func:`vet` reads the URL's host the way a resolver would (IDNA, a trailing
dot, IPv4 written in decimal, octal, hex or short form, bracketed IPv6), resolves a name to all
its addresses and accepts the target only if every address is public: not loopback, private,
shared, link-local, site-local, multicast, unspecified or reserved, judged through IPv4-mapped,
6to4 and NAT64 wrappings by the IPv4 address inside. Networks listed in
``BACKCAST_WEBHOOK_ALLOWED_NETWORKS`` (``WEBHOOK_ALLOWED_NETWORKS``) are allowed all the same:
the instance administrator's choice, for a receiver on the same network.

The check runs when a webhook is saved, for a clear error, and again before every delivery,
whose connection then goes to the addresses vetted at that moment (:class:`Target`), so a name
that resolves elsewhere by the time of sending (DNS rebinding) is caught and never re-resolved.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses``: what a name resolves to, as address strings; raises
:class:`HostNotFound` (or ``OSError``) when it resolves to nothing."""

DEFAULT_PORTS = {"http": 80, "https": 443}
LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
NUMBER = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")
NAT64 = IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits


class TargetError(Exception):
    """The URL cannot be sent to; the message is for the person who typed it."""


class InvalidTarget(TargetError):
    """The URL is not an http(s) address with a host this module can read."""


class HostNotFound(TargetError):
    """The host name resolves to no address (now: DNS may answer later)."""


class TargetRefused(TargetError):
    """The host is, or resolves to, an address webhooks may not reach."""


@dataclass(frozen=True, slots=True)
class Target:
    """A vetted URL: connect to one of ``addresses``, name ``host`` in Host and in TLS (SNI).

    ``host`` is the URL's host in ASCII (IDNA), without brackets or a trailing dot; ``path`` is
    the path and query to request.
    """

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IPAddress, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the operating system's resolver gives ``host``, in its order of preference."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise HostNotFound("the host name cannot be found") from exc
    return [str(info[4][0]) for info in infos]


def vet(url: str, resolve: Resolver = system_resolver, allowed: Iterable[Network] | None = None) -> Target:
    """The target of ``url`` with its addresses, if every one of them may be reached.

    Raises :class:`InvalidTarget`, :class:`HostNotFound` or :class:`TargetRefused`. ``allowed``
    defaults to the instance's ``BACKCAST_WEBHOOK_ALLOWED_NETWORKS``.
    """
    parts = split(url)
    host = normalize_host(parts.hostname or "")
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    literal = literal_address(host)
    if literal is not None:
        addresses: tuple[IPAddress, ...] = (literal,)
    else:
        try:
            answers = resolve(host, port)
        except OSError as exc:
            raise HostNotFound("the host name cannot be found") from exc
        addresses = tuple(dict.fromkeys(parse_answer(a) for a in answers))
        if not addresses:
            raise HostNotFound("the host name cannot be found")
    networks = tuple(allowed_networks() if allowed is None else allowed)
    if not all(permitted(a, networks) for a in addresses):
        raise TargetRefused(
            "points to an address webhooks may not reach (this server, a private, link-local, "
            "multicast or reserved network); the server's administrator can allow networks"
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, tuple(unwrap(a) for a in addresses))


def split(url: str) -> SplitResult:
    """``url`` split, if it is an http(s) URL with a host, a valid port and no blanks."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InvalidTarget("must be an http:// or https:// address")
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced IPv6 bracket, say
        raise InvalidTarget("must be an http:// or https:// address") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidTarget("must be an http:// or https:// address")
    try:
        parts.port  # noqa: B018 - raises on a port out of range or not a number
    except ValueError:
        raise InvalidTarget("has a port that is not a number from 1 to 65535") from None
    if parts.port == 0:
        raise InvalidTarget("has a port that is not a number from 1 to 65535")
    return parts


def normalize_host(hostname: str) -> str:
    """The host as a resolver reads it: IPv6 as is, names in IDNA, lower case, no trailing dot.

    IDNA maps full-width digits and ideographic full stops to ASCII, so 127.0.0.1 written in
    them is read as the address it spells. Raises :class:`InvalidTarget` for anything that is not a host name.
    """
    if ":" in hostname:  # urlsplit strips the brackets of an IPv6 literal
        if "%" in hostname:  # a zone names an interface of this machine: never a receiver's
            raise InvalidTarget("has a host that is not a valid IPv6 address")
        try:
            return str(IPv6Address(hostname))
        except ValueError:
            raise InvalidTarget("has a host that is not a valid IPv6 address") from None
    try:
        ascii_host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidTarget("has a host that is not a valid name") from None
    host = ascii_host.removesuffix(".")
    if not host or not all(LABEL.match(label) for label in host.split(".")):
        raise InvalidTarget("has a host that is not a valid name")
    return host


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, or None for a name (``host`` normalised).

    IPv4 follows the WHATWG URL standard and ``inet_aton``: a host whose last label is a number
    is an address, of one to four parts, each decimal, octal (a leading 0) or hex (``0x``), the
    last filling the remaining bytes, so ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``127.1``
    are all 127.0.0.1. A host that ends in a number but is no such address is invalid.
    """
    if ":" in host:
        return IPv6Address(host)
    labels = host.split(".")
    if not NUMBER.match(labels[-1]):
        return None
    if len(labels) > 4 or not all(NUMBER.match(label) for label in labels):
        raise InvalidTarget("has a host that is not a valid IPv4 address")
    numbers = [ipv4_number(label) for label in labels]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise InvalidTarget("has a host that is not a valid IPv4 address")
    value = last
    for index, n in enumerate(leading):
        value += n << (8 * (3 - index))
    return IPv4Address(value)


def ipv4_number(label: str) -> int:
    if label[:2].lower() == "0x":
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        if not set(label) <= set("01234567"):
            raise InvalidTarget("has a host that is not a valid IPv4 address")
        return int(label, 8)
    return int(label)


def parse_answer(answer: str) -> IPAddress:
    """A resolver's address string, without an IPv6 zone (``fe80::1%eth0``)."""
    try:
        return ip_address(answer.split("%", 1)[0])
    except ValueError:
        raise HostNotFound("the host name resolves to something that is not an address") from None


def unwrap(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is the IPv4 address it carries."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address a 6to4 (``2002::/16``) or NAT64 (``64:ff9b::/96``) address leads to."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is globally routable unicast, judged through IPv6 wrappings of IPv4."""
    address = unwrap(address)
    if isinstance(address, IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_reserved
    )


def permitted(address: IPAddress, allowed: Iterable[Network]) -> bool:
    """Whether a webhook may connect to ``address``: public, or in an allowed network."""
    address = unwrap(address)
    return any(address.version == n.version and address in n for n in allowed) or is_public(address)


def allowed_networks() -> tuple[Network, ...]:
    """The networks the instance administrator allows besides public addresses."""
    return tuple(ip_network(n) for n in getattr(settings, "BACKCAST_WEBHOOK_ALLOWED_NETWORKS", ()))

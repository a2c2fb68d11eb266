"""Where webhook results may go: only to addresses on the public internet (no SSRF).

A subscriber names its webhook by URL; our deliverer then POSTs from inside our network. A URL whose host
is (or resolves to) a private, loopback, link-local, multicast, reserved or otherwise non-global address
would let a partner reach our own services, so it is refused when the partner subscribes and checked again
at every delivery (DNS may have changed since). The delivery connects to the very address it checked (no
second lookup a DNS rebinding could answer differently) and follows no redirect.

``SHOP_EPCIS_WEBHOOK_ALLOWED_ADDRESSES`` (app config, default empty) lists addresses or networks
(``127.0.0.1``, ``10.20.0.0/16``) allowed nevertheless: a test's loopback server, a partner reached over a
private link.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from urllib.parse import urlsplit

from traceability.interop.errors import UnresolvableDestination, UnsafeDestination

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: A checked address to connect to: ``(family, sockaddr)`` as ``getaddrinfo`` gives it.
Target = tuple[socket.AddressFamily, tuple[str, int] | tuple[str, int, int, int]]


def allowed_networks(configured: Iterable[str] | None) -> list[IPNetwork]:
    """The configured allow-list as networks (a bare address is a network of one)."""
    return [ipaddress.ip_network(str(entry).strip(), strict=False) for entry in configured or ()]


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a global unicast address (an IPv4 address mapped into IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def check_destination(url: str, allowed: Iterable[IPNetwork] = ()) -> list[Target]:
    """Resolve ``url``'s host and return the addresses to connect to, every one of them public (or allowed).

    Raises :class:`UnresolvableDestination` when the host has no address, :class:`UnsafeDestination` when any
    address it resolves to is not public (a host with one private address among public ones is refused:
    which one a connection takes is not ours to choose).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnresolvableDestination(host=host) from exc
    networks = list(allowed)
    targets: list[Target] = []
    for family, _type, _proto, _name, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not is_public(address) and not any(address in network for network in networks):
            raise UnsafeDestination(host=host, address=str(address))
        targets.append((family, sockaddr))  # type: ignore[arg-type]
    if not targets:
        raise UnresolvableDestination(host=host)
    return targets


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked address, whatever the host name resolves to now."""

    def __init__(self, host: str, target: Target, timeout: float) -> None:
        super().__init__(host, timeout=timeout)
        self._target = target

    def connect(self) -> None:
        """Connect to the checked address."""
        family, sockaddr = self._target
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(sockaddr)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """An HTTPS connection to a checked address, the certificate verified for the host name."""

    def connect(self) -> None:
        """Connect to the checked address, then TLS with the host name for SNI and verification."""
        super().connect()
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def post_to_checked(
    url: str, body: bytes, headers: dict[str, str], allowed: Iterable[IPNetwork], timeout: float
) -> None:
    """POST ``body`` to ``url`` after checking where it goes, connecting to the checked address; raises
    :class:`UnsafeDestination` / :class:`UnresolvableDestination`, or ``OSError`` unless the answer is 2xx
    (a redirect is an answer, not followed)."""
    target = check_destination(url, allowed)[0]
    parts = urlsplit(url)
    host = parts.hostname or ""
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, target, timeout)
    if parts.port:
        connection.port = parts.port
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers={**headers, "Host": parts.netloc.rsplit("@")[-1]})
        status = connection.getresponse().status
    finally:
        connection.close()
    if not 200 <= status < 300:
        raise OSError(f"HTTP {status} from the webhook")

"""Which engine addresses the companion may send words to: the person's own machines only.

A remote engine receives the whole prompt, which holds the person's words and memories.
So the address is resolved once, every address it resolves to must be on this computer
or the person's own network (loopback, private or link-local, IPv4 and IPv6), and the
connection is then made to those checked addresses, never to the name again: a name
that resolves to a public address, or is re-pointed after the check, reaches nothing.
Plain HTTP is fine on loopback; across a network it needs https:// or the person's
explicit `allow_plain_lan = true`. This module does no I/O but the resolver it is given.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from companion.errors import UsageError
from companion.i18n import t

Resolver = Callable[[str, int], list[str]]

_OWN_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private (RFC 1918)
    "169.254.0.0/16",  # link-local
    "fc00::/7",  # unique local (IPv6's private)
    "fe80::/10",  # link-local
))


@dataclass(frozen=True)
class Endpoint:
    """A checked engine address: where to connect and what the person wrote."""

    url: str
    """scheme://host:port, as shown to the person and recorded in the pin."""
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]
    """The resolved addresses, all checked; connections go to these only."""

    @property
    def on_this_computer(self) -> bool:
        return all(_ip(a).is_loopback for a in self.addresses)


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolves HOST to (a failure says so in one sentence)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UsageError(t("engine_errors.host_not_found", host=repr(host))) from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone ("%eth0")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def own_address(text: str) -> bool:
    """Whether an address is on this computer or the person's own network."""
    try:
        address = _ip(text)
    except ValueError:
        return False
    if address.is_loopback:
        return True
    return any(address.version == net.version and address in net for net in _OWN_NETWORKS)


def check_engine_url(url: str, *, allow_plain_lan: bool = False,
                     resolve: Resolver = system_resolver) -> Endpoint:
    """The engine address checked against the rules above, or one sentence why not.

    Runs before any connection is made; `resolve` is the only thing it calls.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise UsageError(t("engine_errors.address_not_url", text=repr(text))) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UsageError(t("engine_errors.address_scheme", text=repr(text)))
    if parts.username is not None or parts.password is not None:
        raise UsageError(t("engine_errors.address_credentials"))
    host = parts.hostname or ""
    if not host:
        raise UsageError(t("engine_errors.address_no_host", text=repr(text)))
    path = parts.path.rstrip("/")
    if path not in ("", "/v1") or parts.query or parts.fragment:
        raise UsageError(t("engine_errors.address_path", text=repr(text)))
    port = port or (443 if scheme == "https" else 80)
    shown = f"[{host}]" if ":" in host else host
    endpoint_url = f"{scheme}://{shown}:{port}"
    addresses = tuple(resolve(host, port))
    if not addresses:
        raise UsageError(t("engine_errors.host_not_found", host=repr(host)))
    for address in addresses:
        if not own_address(address):
            raise UsageError(t("engine_errors.address_not_own", url=endpoint_url,
                               address=address))
    endpoint = Endpoint(endpoint_url, scheme, host, port, addresses)
    if scheme == "http" and not endpoint.on_this_computer and not allow_plain_lan:
        raise UsageError(t("engine_errors.plain_http_lan", url=endpoint_url))
    return endpoint

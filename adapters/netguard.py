"""Outbound calls to URLs a user gave (webhook endpoints, article images, media, music) are safe:
a host that resolves to a loopback, private (RFC 1918, IPv6 ULA), link-local (169.254.0.0/16 with
the cloud metadata address 169.254.169.254, fe80::/10), CGNAT (100.64.0.0/10), multicast, reserved
or unspecified address is refused, unless the deployment allows that kind
(``SOCIALIZER_OUTBOUND_ALLOW``: "loopback", "private", "link_local", "cgnat", or "all").

The check runs where the socket is opened (:class:`GuardedBackend`, an httpcore network backend):
the name is resolved once, every address it resolves to is checked, and the connection goes to the
checked address, so DNS rebinding between a check and the connect cannot slip through; every
redirect opens its connection through the same check. TLS still verifies the original host name
(httpcore passes it as the SNI/server name apart from the address).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network

KINDS: dict[str, tuple[Net, ...]] = {
    "unspecified": (ipaddress.ip_network("0.0.0.0/8"), ipaddress.ip_network("::/128")),
    "loopback": (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")),
    "private": (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("172.16.0.0/12"),
        ipaddress.ip_network("192.168.0.0/16"),
        ipaddress.ip_network("fc00::/7"),  # unique local addresses (ULA)
    ),
    "link_local": (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("fe80::/10")),
    "cgnat": (ipaddress.ip_network("100.64.0.0/10"),),
    "multicast": (ipaddress.ip_network("224.0.0.0/4"), ipaddress.ip_network("ff00::/8")),
    "reserved": (
        ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
        ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
        ipaddress.ip_network("240.0.0.0/4"),  # incl. 255.255.255.255
        ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
        ipaddress.ip_network("100::/64"),  # discard-only
    ),
}
ALLOWABLE = ("loopback", "private", "link_local", "cgnat")


class Refused(httpx.ConnectError):
    """The host is one this deployment does not call (a ``ConnectError``: no request left)."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


def kind_of(ip: IP) -> str | None:
    """The kind of a refused address (see :data:`KINDS`), or None for a public one. An IPv4 address
    mapped or embedded in IPv6 (::ffff:a.b.c.d, 6to4, NAT64) is judged as that IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in ipaddress.ip_network("64:ff9b::/96"):
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return kind_of(inner)
    for kind, nets in KINDS.items():
        if any(ip.version == n.version and ip in n for n in nets):
            return kind
    return None


@dataclass(frozen=True)
class Policy:
    """Which kinds of address this deployment may call anyway (the embedded default: loopback)."""

    allow: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, setting: str) -> Policy:
        """``"loopback,private"``; ``"all"`` lets every address through (a closed test network)."""
        kinds = {k.strip().lower().replace("-", "_") for k in setting.split(",") if k.strip()}
        if "all" in kinds:
            return cls(frozenset(KINDS))
        unknown = kinds - set(ALLOWABLE)
        if unknown:
            raise ValueError(f"unknown address kinds {sorted(unknown)}: one of {', '.join(ALLOWABLE)} or all")
        return cls(frozenset(kinds))

    def refusal(self, ip: IP) -> str | None:
        kind = kind_of(ip)
        return kind if kind is not None and kind not in self.allow else None

    def check(self, host: str, addresses: Iterable[str]) -> str:
        """The first address to connect to, once every one ``host`` resolved to is allowed (one bad
        address refuses the host: a resolver could hand either to the connect)."""
        ips = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        if not ips:
            raise Refused(f"{host} resolves to no address")
        for ip in ips:
            kind = self.refusal(ip)
            if kind:
                raise Refused(f"{host} resolves to a {kind.replace('_', '-')} address ({ip}), which this deployment does not call", kind)
        return str(ips[0])


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


async def resolve(host: str, port: int = 443) -> list[str]:
    if (lit := _literal(host)) is not None:
        return [lit]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise Refused(f"{host} does not resolve: {err.strerror}") from err
    return list(dict.fromkeys(str(i[4][0]) for i in infos))


def resolve_sync(host: str, port: int = 443) -> list[str]:
    if (lit := _literal(host)) is not None:
        return [lit]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise Refused(f"{host} does not resolve: {err.strerror}") from err
    return list(dict.fromkeys(str(i[4][0]) for i in infos))


async def check_url(url: str, policy: Policy) -> None:
    """Refuse a URL before it is stored (a webhook's, say): not http(s), no host, or a refused address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{url!r} is not an http(s) URL with a host")
    policy.check(parts.hostname, await resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks and connects to the checked address (see the module's doc)."""

    def __init__(self, policy: Policy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        address = self.policy.check(host, await resolve(host, port))
        return await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address, socket_options=socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused("unix sockets are not called")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedSyncBackend(httpcore.NetworkBackend):
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        address = self.policy.check(host, resolve_sync(host, port))
        return self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address, socket_options=socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        raise Refused("unix sockets are not called")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose every connection is opened by :class:`GuardedBackend`."""

    def __init__(
        self, policy: Policy, *, limits: httpx.Limits = httpx.Limits(), backend: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy, backend),
        )


class GuardedSyncTransport(httpx.HTTPTransport):
    def __init__(self, policy: Policy, *, limits: httpx.Limits = httpx.Limits()) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedSyncBackend(policy),
        )


def guarded_client(policy: Policy, *, timeout: float = 15.0, follow_redirects: bool = True, **kw: Any) -> httpx.AsyncClient:
    """A client for user-given URLs: every connection (redirects too) checked; no proxy from the
    environment (a proxy would connect for us, past the check); at most 5 redirects."""
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, limits=kw.pop("limits", httpx.Limits())),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=follow_redirects,
        max_redirects=5,
        trust_env=False,
        **kw,
    )


def guarded_sync_client(policy: Policy, *, timeout: float = 20.0, follow_redirects: bool = True) -> httpx.Client:
    return httpx.Client(
        transport=GuardedSyncTransport(policy),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
        follow_redirects=follow_redirects,
        max_redirects=5,
        trust_env=False,
    )


async def read_capped(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` bytes of a streamed body (raw: a compressed answer is not inflated); the rest is never read."""
    if response.is_stream_consumed:  # an answer already in memory (a mock transport's)
        return response.content[:limit]
    out = bytearray()
    async for chunk in response.aiter_raw():
        out += chunk[: limit - len(out)]
        if len(out) >= limit:
            break
    return bytes(out)

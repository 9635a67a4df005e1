"""Outbound calls are safe: which addresses are refused (pure), and a client over the guarded
transport that never opens a connection to one, on the first request or on a redirect."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.netguard import Policy, Refused, check_url, guarded_client, guarded_sync_client, kind_of


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link_local"),
        ("fe80::1", "link_local"),
        ("100.64.0.1", "cgnat"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("255.255.255.255", "reserved"),
        ("::ffff:10.0.0.1", "private"),  # IPv4-mapped IPv6 is judged as its IPv4 address
        ("::ffff:169.254.169.254", "link_local"),
        ("64:ff9b::a9fe:a9fe", "link_local"),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("8.8.8.8", None),
        ("172.32.0.1", None),
        ("100.128.0.1", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_each_address_is_classified(address: str, kind: str | None) -> None:
    assert kind_of(ipaddress.ip_address(address)) == kind


def test_a_policy_lets_through_only_the_kinds_it_names() -> None:
    loop = Policy.parse("loopback")
    assert loop.check("h", ["127.0.0.1"]) == "127.0.0.1"
    with pytest.raises(Refused, match="private"):
        loop.check("h", ["10.0.0.1"])
    with pytest.raises(Refused, match="link-local"):
        Policy.parse("loopback,private").check("h", ["8.8.8.8", "169.254.169.254"])  # one bad address refuses the host
    assert Policy.parse("all").check("h", ["169.254.169.254"]) == "169.254.169.254"
    with pytest.raises(ValueError, match="unknown address kinds"):
        Policy.parse("everything")


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]:80/", "http://localhost/", "ftp://example.com/"]
)
async def test_a_url_to_a_refused_address_or_not_http_is_refused_before_anything_is_sent(url: str) -> None:
    with pytest.raises(Refused):
        await check_url(url, Policy())


@pytest.fixture
async def server() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A tiny HTTP server on 127.0.0.1 that answers every request with a redirect to 10.0.0.1, and
    remembers each request it got."""
    got: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 302 Found\r\nLocation: http://10.0.0.1/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield srv.sockets[0].getsockname()[1], got
    srv.close()
    await srv.wait_closed()


async def test_the_guarded_client_opens_no_connection_to_loopback_unless_allowed(server: tuple[int, list[bytes]]) -> None:
    port, got = server
    async with guarded_client(Policy()) as http:
        with pytest.raises(Refused, match="loopback"):
            await http.get(f"http://127.0.0.1:{port}/")
        with pytest.raises(Refused, match="loopback"):
            await http.get(f"http://localhost:{port}/")  # a name is resolved and its address checked
    assert got == []
    async with guarded_client(Policy.parse("loopback"), follow_redirects=False) as http:
        r = await http.get(f"http://127.0.0.1:{port}/")
    assert r.status_code == 302 and len(got) == 1


async def test_a_redirect_to_a_private_address_is_not_followed(server: tuple[int, list[bytes]]) -> None:
    port, got = server
    async with guarded_client(Policy.parse("loopback")) as http:
        with pytest.raises(Refused, match="10.0.0.1"):
            await http.get(f"http://127.0.0.1:{port}/image.png")
    assert len(got) == 1  # the first hop only: the redirect's connection was never opened


def test_the_blocking_client_of_the_render_workers_is_guarded_too() -> None:
    with guarded_sync_client(Policy()) as http, pytest.raises(Refused, match="link-local"):
        http.get("http://169.254.169.254/latest/meta-data/")
    with guarded_sync_client(Policy()) as http, pytest.raises(httpx.ConnectError):
        http.get("http://[::ffff:127.0.0.1]:9/")

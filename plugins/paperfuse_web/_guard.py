"""Safe fetching of users' URLs: no private address, the address checked is the one used.

A URL pasted by a user names any host, and its name may resolve to this
machine, the local network or a cloud metadata service (server-side request
forgery). The guard sits where the connection is made: :class:`GuardedBackend`
resolves the name itself, refuses it when any of its addresses is not a
public one (:func:`refusal`), and connects to the very address it checked,
so no second look-up can give another answer (DNS rebinding). TLS still
verifies the certificate and sends SNI for the name, because httpcore starts
TLS with the name over the connected stream. Every connection goes through
it, redirects included.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

__all__ = ["AddressRefused", "GuardedBackend", "GuardedTransport", "odd_ipv4_form", "refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Addresses that are not "public" but that ``is_global`` alone does not name well.
_METADATA = {
    ipaddress.ip_address("169.254.169.254"): "a cloud metadata address",
    ipaddress.ip_address("fd00:ec2::254"): "a cloud metadata address",
    ipaddress.ip_address("100.100.100.200"): "a cloud metadata address",
}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Hosts written as numbers in a form other than four decimal parts (``2130706433``,
#: ``0177.0.0.1``, ``0x7f.1``): resolvers read them as IPv4 addresses, not as names.
_NUMERIC_HOST = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.I)
_DOTTED_QUAD = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")


class AddressRefused(Exception):
    """A connection the guard refused; the message says which host and why."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: mapped, 6to4, Teredo, NAT64, compatible."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (int(address) >> 32 == 0 and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why a connection to ``address`` is refused (what kind of address it is), or None.

    Loopback, private, link-local, multicast, reserved, unspecified and every
    other non-public address (carrier-grade NAT, documentation ranges...),
    cloud metadata addresses, and IPv6 forms of such IPv4 addresses.
    """
    if address in _METADATA:
        return _METADATA[address]
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            why = refusal(embedded)
            return f"{why} (IPv4 {embedded} in an IPv6 form)" if why else None
        if address.scope_id:
            return "a scoped (link-local) address"
    for test, name in (
        ("is_unspecified", "an unspecified address (this machine)"),
        ("is_loopback", "a loopback address (this machine)"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private network address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, test):
            return name
    if not address.is_global:
        return "not a public internet address"
    return None


def odd_ipv4_form(host: str) -> bool:
    """Whether ``host`` is an IPv4 address written otherwise than as four decimals.

    ``2130706433``, ``0177.0.0.1`` and ``0x7f.0.0.1`` are all 127.0.0.1 to
    the C resolver; a URL that writes an address so is refused outright.
    """
    host = host.strip("[]").lower()
    return bool(_NUMERIC_HOST.fullmatch(host)) and not _DOTTED_QUAD.fullmatch(host)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses :func:`refusal` allows.

    The host's name is resolved here; when any of its addresses is refused
    the connection is refused (a name that also resolves somewhere private
    is not trusted), otherwise the connection goes to one of the checked
    addresses. ``allowed`` names hosts connected to without a check (a
    gateway the configuration points at); ``allow_private`` turns the check
    off.
    """

    def __init__(self, *, allow_private: bool = False, allowed: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allowed = frozenset(h.lower() for h in allowed)
        self._inner = httpcore.AnyIOBackend()

    def check_literal(self, host: str) -> IPAddress | None:
        """The address ``host`` is written as, checked; None for a name (checked once it
        resolves). Raises :class:`AddressRefused` for a refused address or an odd form."""
        if odd_ipv4_form(host):
            raise AddressRefused(f"{host} is an IPv4 address written in an unusual form")
        literal = _literal(host)
        if literal is not None and not self.allow_private and host.lower() not in self.allowed:
            why = refusal(literal)
            if why:
                raise AddressRefused(f"{host} is {why}")
        return literal

    async def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses to connect to for ``host``; :class:`AddressRefused` if none."""
        literal = self.check_literal(host)
        if literal is not None:
            found = [literal]
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
            found = list(dict.fromkeys(ipaddress.ip_address(i[4][0]) for i in infos))
        if not self.allow_private:
            for address in found:
                why = refusal(address)
                if why:
                    shown = host if literal is not None else f"{host} resolves to {address}, which"
                    raise AddressRefused(f"{shown} is {why}")
        return [str(a) for a in found]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.lower() in self.allowed:
            targets = [host]
        else:
            try:
                targets = await self.addresses(host, port)
            except socket.gaierror as e:
                raise httpcore.ConnectError(str(e)) from e
        error: Exception | None = None
        for target in targets:
            try:
                return await self._inner.connect_tcp(
                    target,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as e:
                error = e
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("no connection to a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose every connection goes through a :class:`GuardedBackend`,
    that sends no credentials, and that spaces its requests to each host.

    httpx 0.28 takes no network backend of its own (encode/httpx#3180), so the
    transport's connection pool is made again with the backend; the request
    handling stays httpx's. ``host_interval`` is the least time in seconds
    between the starts of two requests to one host (0: no pacing by host).
    """

    def __init__(self, backend: GuardedBackend, *, host_interval: float = 0.0) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=backend,
        )
        self.backend = backend
        self.host_interval = host_interval
        self._next: dict[str, float] = {}
        self._turns: dict[str, asyncio.Lock] = {}

    async def _wait_for_host(self, host: str) -> None:
        """Wait for the host's next slot: one request every ``host_interval`` seconds."""
        if self.host_interval <= 0:
            return
        loop = asyncio.get_running_loop()
        async with self._turns.setdefault(host, asyncio.Lock()):
            delay = self._next.get(host, 0.0) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next[host] = loop.time() + self.host_interval

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.userinfo:
            raise AddressRefused("a URL with a user name or password is not fetched")
        self.backend.check_literal(request.url.host)  # before any connection is tried
        for name in ("Cookie", "Authorization", "Proxy-Authorization"):
            request.headers.pop(name, None)
        await self._wait_for_host(request.url.host.lower())
        return await super().handle_async_request(request)

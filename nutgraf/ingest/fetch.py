"""Fetch a URL with httpx, checking every hop before anything is sent to it.

Redirects are followed by hand so each new location gets the same scheme check, and the
address check sits in the connection itself: the IP that is checked is the IP that is
connected to, so a name that resolves differently on a second lookup cannot slip through.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType

import httpcore
import httpx

from ..errors import FetchError
from .options import IngestOptions, human_size

ALLOW_PRIVATE_HINT = "(pass --allow-private to allow)"


@dataclass
class Fetched:
    url: str  # after redirects
    content: bytes
    content_type: str  # media type only, lowercased; "" when the server sent none
    charset: str | None


class Fetcher:
    """One HTTP client for a run of fetches; use as a context manager."""

    def __init__(self, options: IngestOptions) -> None:
        self.options = options
        self._client = httpx.Client(
            transport=_CheckedTransport(options.allow_private),
            timeout=options.timeout,
            headers={"User-Agent": options.user_agent},
            follow_redirects=False,
            trust_env=False,  # a proxy would be the address checked, not the site
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str) -> Fetched:
        deadline = time.monotonic() + self.options.timeout
        current = url
        for _ in range(self.options.max_redirects + 1):
            _check_scheme(current)
            try:
                with self._client.stream("GET", current) as response:
                    if response.is_redirect:
                        current = str(response.url.join(response.headers["location"]))
                        continue
                    return self._read(response, deadline)
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {self.options.timeout:g} s") from None
            except httpx.ConnectError as exc:
                host = httpx.URL(current).host
                raise FetchError(f"could not connect to {host}: {_os_reason(exc)}") from None
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL ({exc})") from None
            except httpx.TransportError as exc:
                raise FetchError(f"network error: {_os_reason(exc)}") from None
        raise FetchError(f"too many redirects (more than {self.options.max_redirects})")

    def _read(self, response: httpx.Response, deadline: float) -> Fetched:
        if response.status_code >= 400:
            raise FetchError(f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
        limit = self.options.max_bytes
        too_large = FetchError(f"response over the size limit ({human_size(limit)})")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        body = bytearray()
        # iter_bytes decompresses, so the limit holds for what a gzip bomb would become.
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                raise too_large
            if time.monotonic() > deadline:  # a server dripping bytes never trips a read timeout
                raise FetchError(f"timed out after {self.options.timeout:g} s")
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Fetched(
            url=str(response.url),
            content=bytes(body),
            content_type=media_type,
            charset=response.charset_encoding,
        )


def fetch(url: str, options: IngestOptions) -> Fetched:
    with Fetcher(options) as fetcher:
        return fetcher.fetch(url)


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _check_scheme(url: str) -> None:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise FetchError(f"unsupported URL scheme {scheme!r} (only http and https)")


def _os_reason(exc: Exception) -> str:
    """``connection refused`` rather than ``[Errno 111] Connection refused``."""
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", str(exc)) or type(exc).__name__
    return text[0].lower() + text[1:]


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(f"could not resolve host {host}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _AddressCheckingBackend(httpcore.SyncBackend):
    """Resolves the host itself, refuses non-public addresses, then connects to that IP."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port)
        if not self.allow_private:
            for address in addresses:
                if not is_public_address(address):
                    named = f"{address} is" if host == address else f"{host} resolves to {address},"
                    raise FetchError(f"{named} a private or reserved address {ALLOW_PRIVATE_HINT}")
        for address in addresses[:-1]:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue  # the next address of the same host may answer
        return super().connect_tcp(addresses[-1], port, timeout, local_address, socket_options)


class _CheckedTransport(httpx.HTTPTransport):
    def __init__(self, allow_private: bool) -> None:
        super().__init__(trust_env=False)
        # httpx has no public hook for the network backend; the pool is the one seam.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_AddressCheckingBackend(allow_private),
        )

"""Fetch an article page by URL, safely, and import it.

Against SSRF, every hop is checked before it is requested: the scheme must be http or https,
and every address the host name resolves to must be public (not private, loopback,
link-local, multicast, reserved or unspecified), unless the ALLOW_PRIVATE_URLS setting is on.
The connection then goes to the very address that was checked (the Host header and the TLS
server name stay the host name), so a DNS answer that changes between the check and the
connection (DNS rebinding) cannot reach an internal address. Redirects are followed by hand,
at most MAX_REDIRECTS, each hop checked the same way. The body is refused past the size
limit, and FETCH_TIMEOUT bounds the whole fetch (every hop, headers and body), not each read:
a site that trickles a byte at a time is cut off at the deadline.

No database work happens here: callers fetch first, with no transaction open, and then
import the page in one short transaction (``articles.import_page``).
"""

from __future__ import annotations

import codecs
import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from annotator import __version__
from annotator.sanitize import is_safe_url
from annotator.services.errors import Invalid

MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = f"annotator/{__version__} (fact-check desk article import)"
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.I)


@dataclass(frozen=True)
class FetchSettings:
    """The limits of one fetch, from the app's settings."""

    allow_private: bool = False
    timeout: float = 10.0
    max_bytes: int = 5 * 1024 * 1024

    @classmethod
    def from_config(cls, config) -> FetchSettings:
        return cls(allow_private=bool(config.get("ALLOW_PRIVATE_URLS", False)),
                   timeout=float(config.get("FETCH_TIMEOUT", 10)),
                   max_bytes=int(config.get("FETCH_MAX_BYTES", 5 * 1024 * 1024)))


class HostNotFound(Invalid):
    """The address's host name does not resolve (for link health: the source is gone)."""


@dataclass(frozen=True)
class Page:
    """A fetched page: where it ended up, and its decoded text."""

    url: str
    html: str
    content_type: str


def _forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise HostNotFound(f"The host {host[:100]!r} could not be found.") from None
    return [info[4][0] for info in infos]


def check_url(url: str, *, allow_private: bool = False) -> str:
    """Refuse a URL that is not http(s), or whose host resolves to a non-public address.

    Return the checked address to connect to: the fetch pins it, so the name is not
    resolved a second time.
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Invalid("That is not a valid web address.") from None
    if parts.scheme not in ("http", "https"):
        raise Invalid("Only http:// and https:// addresses can be imported.")
    host = parts.hostname
    if not host:
        raise Invalid("The address has no host name.")
    if parts.username or parts.password:
        raise Invalid("Addresses with a user name or password are not fetched.")
    if not is_safe_url(url):
        raise Invalid("That is not a valid web address.")
    addresses = _addresses(host, port)
    if not allow_private:
        for address in addresses:
            if _forbidden_address(address):
                raise Invalid(f"The host {host!r} is on a private, loopback or otherwise "
                              "non-public address; it is not fetched.")
    return addresses[0].split("%", 1)[0]


class _Pinned(http.client.HTTPConnection):
    """An HTTP connection to a fixed address; the Host header stays the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """An HTTPS connection to a fixed address; SNI and certificate check use the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


# Codecs in Python's registry that are no page encoding: decoding a body with them raises
# (idna, punycode) or reads escapes as code (unicode_escape). Byte-to-byte transforms (base64,
# zlib, rot13) are caught by the registry's own flag.
_NOT_PAGE_CODECS = {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined",
                    "utf-7"}


def safe_codec(name: str | None) -> str:
    """Return a text codec for a declared charset: the registry's name, else "utf-8".

    Unknown names and codecs that are not page encodings (idna, punycode, base64...) fall
    back to UTF-8, which the caller decodes with replacement characters.
    """
    if not name:
        return "utf-8"
    try:
        info = codecs.lookup(name.strip().strip("\"'").lower())
    except (LookupError, ValueError, TypeError):
        return "utf-8"
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("_", "-") in (
            _NOT_PAGE_CODECS):
        return "utf-8"
    return info.name


def _charset(headers, head: bytes) -> str:
    declared = headers.get_content_charset()
    if declared:
        return safe_codec(declared)
    found = _META_CHARSET.search(head[:4096])
    return safe_codec(found.group(1).decode("ascii")) if found else "utf-8"


def decode_body(data: bytes, charset: str | None) -> str:
    """Decode a page's bytes with its declared charset, never raising."""
    try:
        return data.decode(safe_codec(charset), errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return data.decode("utf-8", errors="replace")


class _Deadline:
    """Cut a connection when the whole fetch's time is up, whatever it is waiting for."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.passed = False
        self._timer: threading.Timer | None = None

    def left(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            self.passed = True
            raise self.error()
        return left

    def error(self) -> Invalid:
        return Invalid(f"The site did not answer within {self.seconds:g} s.")

    def watch(self, connection: http.client.HTTPConnection) -> None:
        self.stop()

        def cut():
            self.passed = True
            sock = connection.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        self._timer = threading.Timer(max(0.0, self.ends - time.monotonic()), cut)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _read(response: http.client.HTTPResponse, max_bytes: int, deadline: _Deadline) -> bytes:
    length = response.getheader("Content-Length", "") or ""
    if length.isdigit() and int(length) > max_bytes:
        raise Invalid(f"The page is larger than the {max_bytes // 1024} KB limit.")
    data = bytearray()
    while True:
        deadline.left()
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        data += chunk
        if len(data) > max_bytes:
            raise Invalid(f"The page is larger than the {max_bytes // 1024} KB limit.")
    if deadline.passed:
        raise deadline.error()
    return bytes(data)


def _get(url: str, address: str, settings: FetchSettings, deadline: _Deadline, *,
         types: tuple[str, ...] | None = HTML_TYPES, extra: dict | None = None):
    """Request one hop from the pinned address; return (status, reason, headers, body).

    ``types`` are the content types accepted (None: any); ``extra`` adds request headers.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    kind = _PinnedTLS if parts.scheme == "https" else _Pinned
    connection = kind(parts.hostname, port, address, timeout=min(settings.timeout,
                                                                  deadline.left()))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline.watch(connection)
    try:
        connection.request("GET", path, headers={
            "User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml",
            "Accept-Encoding": "identity", "Connection": "close", **(extra or {})})
        response = connection.getresponse()
        if response.status in (301, 302, 303, 307, 308) or response.status != 200:
            return response.status, response.reason, response.headers, b""
        kind_of = (response.getheader("Content-Type", "") or "").split(";")[0].strip().lower()
        if types is not None and kind_of and kind_of not in types:
            raise Invalid(f"The address is not a web page (it is {kind_of[:60]}).")
        return response.status, response.reason, response.headers, _read(
            response, settings.max_bytes, deadline)
    except Invalid:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if deadline.passed or time.monotonic() >= deadline.ends:
            raise deadline.error() from None
        if isinstance(exc, TimeoutError | socket.timeout):
            raise deadline.error() from None
        raise Invalid(f"The page could not be fetched: {type(exc).__name__}.") from None
    finally:
        deadline.stop()
        connection.close()


def fetch_page(url: str, settings: FetchSettings | None = None) -> Page:
    """Fetch an HTML page, checking every redirect hop; raise Invalid on any failure.

    The whole fetch ends within ``settings.timeout`` seconds (plus the DNS look-ups).
    """
    settings = settings or FetchSettings()
    url = (url or "").strip()
    deadline = _Deadline(settings.timeout)
    for _hop in range(MAX_REDIRECTS + 1):
        address = check_url(url, allow_private=settings.allow_private)
        if address is None:  # a checker that only checks: connect where the name points
            address = _addresses(urlsplit(url).hostname or "", 80)[0]
        status, reason, headers, data = _get(url, address, settings, deadline)
        if status in (301, 302, 303, 307, 308):
            location = headers.get("Location", "")
            if not location:
                raise Invalid("The site redirected without saying where to.")
            url = urljoin(url, location)
            continue
        if status != 200:
            raise Invalid(f"The site answered {status} {reason or ''}".strip() + ".")
        kind = (headers.get("Content-Type", "") or "").split(";")[0].strip().lower()
        text = decode_body(data, _charset(headers, data))
        return Page(url=url, html=text, content_type=kind or "text/html")
    raise Invalid(f"The site redirected more than {MAX_REDIRECTS} times.")


@dataclass(frozen=True)
class Resource:
    """Any response at the end of a checked redirect chain, for source snapshots (issue 22).

    ``status`` may be anything but a redirect (304 and 404 included); ``body`` is empty
    unless it is 200. ``hops`` lists the addresses requested, the final one last.
    """

    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    hops: tuple[str, ...]

    def header(self, name: str) -> str:
        """Return a response header's value ("" when absent)."""
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")


def fetch_resource(url: str, settings: FetchSettings | None = None, *,
                   headers: dict | None = None) -> Resource:
    """Fetch any content type through the same guard as ``fetch_page`` (every hop checked).

    Raise Invalid on a refused address, a failed or over-size fetch (HostNotFound when the
    name does not resolve); return the final answer whatever its status otherwise.
    """
    settings = settings or FetchSettings()
    url = (url or "").strip()
    deadline = _Deadline(settings.timeout)
    hops: list[str] = []
    for _hop in range(MAX_REDIRECTS + 1):
        address = check_url(url, allow_private=settings.allow_private)
        if address is None:  # a checker that only checks: connect where the name points
            address = _addresses(urlsplit(url).hostname or "", 80)[0]
        hops.append(url)
        status, reason, got, data = _get(url, address, settings, deadline, types=None,
                                         extra={"Accept": "*/*", **(headers or {})})
        if status in (301, 302, 303, 307, 308):
            location = got.get("Location", "")
            if not location:
                raise Invalid("The site redirected without saying where to.")
            url = urljoin(url, location)
            continue
        return Resource(url=url, status=status, reason=reason or "",
                        headers=list(got.items()), body=data, hops=tuple(hops))
    raise Invalid(f"The site redirected more than {MAX_REDIRECTS} times.")

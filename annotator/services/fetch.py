"""Fetch an article page by URL, safely, and import it.

Against SSRF, every hop is checked before it is requested: the scheme must be http or https,
and every address the host name resolves to must be public (not private, loopback,
link-local, multicast, reserved or unspecified), unless the ALLOW_PRIVATE_URLS setting is on.
Redirects are followed by hand, at most MAX_REDIRECTS, each hop checked the same way. The
body is read in a stream and refused past the size limit; the whole fetch has a timeout per
network operation. Proxy settings from the environment are ignored, so the checked address
is the one connected to.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from annotator import __version__
from annotator.models import Article, User
from annotator.services import articles
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


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse a URL that is not http(s), or whose host resolves to a non-public address."""
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
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Invalid(f"The host {host!r} could not be found.") from None
    if allow_private:
        return
    for info in infos:
        if _forbidden_address(info[4][0]):
            raise Invalid(f"The host {host!r} is on a private, loopback or otherwise "
                          "non-public address; it is not fetched.")


def _charset(response: requests.Response, head: bytes) -> str:
    declared = requests.utils.get_encoding_from_headers(response.headers)
    # requests assumes ISO-8859-1 for any text/* without a charset; a page's meta tag knows better.
    if declared and not (declared.lower() == "iso-8859-1" and "charset" not in
                         response.headers.get("Content-Type", "").lower()):
        return declared
    found = _META_CHARSET.search(head[:4096])
    return found.group(1).decode("ascii") if found else "utf-8"


def _read(response: requests.Response, max_bytes: int) -> bytes:
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise Invalid(f"The page is larger than the {max_bytes // 1024} KB limit.")
    data = bytearray()
    for chunk in response.iter_content(CHUNK):
        data += chunk
        if len(data) > max_bytes:
            raise Invalid(f"The page is larger than the {max_bytes // 1024} KB limit.")
    return bytes(data)


def fetch_page(url: str, settings: FetchSettings | None = None) -> Page:
    """Fetch an HTML page, checking every redirect hop; raise Invalid on any failure."""
    settings = settings or FetchSettings()
    url = (url or "").strip()
    with requests.Session() as http:
        http.trust_env = False  # no proxy from the environment: we connect where we checked
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(url, allow_private=settings.allow_private)
            try:
                response = http.get(url, allow_redirects=False, stream=True,
                                    timeout=settings.timeout,
                                    headers={"User-Agent": USER_AGENT,
                                             "Accept": "text/html,application/xhtml+xml"})
            except requests.Timeout:
                raise Invalid(f"The site did not answer within {settings.timeout:g} s.") from None
            except requests.RequestException as exc:
                raise Invalid(f"The page could not be fetched: {type(exc).__name__}.") from None
            with response:
                if response.is_redirect:
                    location = response.headers.get("Location", "")
                    if not location:
                        raise Invalid("The site redirected without saying where to.")
                    url = urljoin(url, location)
                    continue
                if response.status_code != 200:
                    raise Invalid(f"The site answered {response.status_code} "
                                  f"{response.reason or ''}".strip() + ".")
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if kind and kind not in HTML_TYPES:
                    raise Invalid(f"The address is not a web page (it is {kind[:60]}).")
                try:
                    data = _read(response, settings.max_bytes)
                except requests.RequestException as exc:
                    raise Invalid(f"The page could not be read: {type(exc).__name__}.") from None
                charset = _charset(response, data)
            try:
                text = data.decode(charset, errors="replace")
            except LookupError:
                text = data.decode("utf-8", errors="replace")
            return Page(url=url, html=text, content_type=kind or "text/html")
    raise Invalid(f"The site redirected more than {MAX_REDIRECTS} times.")


def import_url(session, actor: User, url: str, settings: FetchSettings | None = None,
               **fields) -> Article:
    """Fetch a page and import it as an article (title, byline and date come from it)."""
    page = fetch_page(url, settings)
    if page.content_type == "text/plain":
        req = articles.ImportRequest(text=page.html, url=page.url, **fields)
    else:
        req = articles.ImportRequest(html=page.html, url=page.url, **fields)
    return articles.import_article(session, actor, req)

"""Settings: defaults here, overridden by instance/config.py, then by environment variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent


def instance_path() -> Path:
    """Return the instance folder: ANNOTATOR_INSTANCE, else instance/ beside the package."""
    return Path(os.environ.get("ANNOTATOR_INSTANCE", ROOT / "instance")).resolve()


def default_database_url() -> str:
    """Return DATABASE_URL, else the SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{instance_path() / 'annotator.db'}"


def _secret_key(folder: Path) -> str:
    # A generated key is kept in the instance folder so sessions survive restarts;
    # SECRET_KEY in the environment wins, which is what a team deployment sets.
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = folder / "secret_key"
    if not path.exists():
        # Several gunicorn workers may start at once: write a private temporary file and
        # link it into place, so exactly one key wins and nobody reads a half-written one.
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load(overrides: dict | None = None) -> dict:
    """Build the settings dictionary the app factory applies."""
    folder = instance_path()
    settings = {
        "DATABASE_URL": default_database_url(),
        "SECRET_KEY": None,
        # The desk that publishes ClaimReview; absolute URLs in exports start here.
        "DESK_NAME": os.environ.get("DESK_NAME", "Annotator fact-check desk"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Serve approved claims' public fact-check pages (/claims/<id>/public) without login.
        "PUBLIC_PAGES": _bool("PUBLIC_PAGES", False),
        # Uploads and pasted text: a news article is far below this.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 5 * 1024 * 1024)),
        # A paste, file or fetched page longer than this is imported by the worker (issue 19):
        # the answer is its job (the API: 202). 0 imports everything in the request.
        "IMPORT_QUEUE_BYTES": int(os.environ.get("IMPORT_QUEUE_BYTES", 512 * 1024)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Turn on behind TLS so the session cookie is never sent in clear.
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "LIVE_POLL_SECONDS": int(os.environ.get("LIVE_POLL_SECONDS", 3)),
        # After each import, a background job marks the claims that look "checked before".
        "CHECKED_BEFORE_JOBS": _bool("CHECKED_BEFORE_JOBS", True),
        # Login throttling (README "Security"): free failures per account and address, then
        # doubling delays up to a cap; an account locks only at a high count (and never
        # against the right password from an address that has not failed).
        "LOGIN_FREE_TRIES": int(os.environ.get("LOGIN_FREE_TRIES", 3)),
        "LOGIN_MAX_DELAY_SECONDS": int(os.environ.get("LOGIN_MAX_DELAY_SECONDS", 900)),
        "LOGIN_ACCOUNT_LOCK": int(os.environ.get("LOGIN_ACCOUNT_LOCK", 50)),
        "LOGIN_MAX_PER_ADDRESS": int(os.environ.get("LOGIN_MAX_PER_ADDRESS", 200)),
        "LOGIN_WINDOW_MINUTES": int(os.environ.get("LOGIN_WINDOW_MINUTES", 60)),
        # Server-side sessions end after this long without a request, and this long at most.
        "SESSION_IDLE_HOURS": float(os.environ.get("SESSION_IDLE_HOURS", 12)),
        "SESSION_LIFETIME_DAYS": float(os.environ.get("SESSION_LIFETIME_DAYS", 14)),
        # How many reverse proxies in front set X-Forwarded-For/-Proto (0: none, trust no
        # header). Behind one proxy set 1, or every sign-in seems to come from the proxy.
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", 0)),
        # Import from a URL: private, loopback and link-local addresses are refused against
        # SSRF unless this is on (an intranet desk, or tests).
        "ALLOW_PRIVATE_URLS": _bool("ALLOW_PRIVATE_URLS", False),
        "FETCH_TIMEOUT": float(os.environ.get("FETCH_TIMEOUT", 10)),
        "FETCH_MAX_BYTES": int(os.environ.get("FETCH_MAX_BYTES", 5 * 1024 * 1024)),
        # Issue 21, the queue (README "The worker"): Redis when REDIS_URL is set, else a SQLite
        # file; a running job whose worker is silent JOB_STALE_SECONDS is taken up again;
        # finished jobs are pruned after JOB_KEEP_DAYS; webhook retries wait these seconds.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "QUEUE_FILE": os.environ.get("QUEUE_FILE", str(folder / "queue.sqlite3")),
        "QUEUE_NAME": os.environ.get("QUEUE_NAME", "annotator"),
        "JOB_HEARTBEAT_SECONDS": float(os.environ.get("JOB_HEARTBEAT_SECONDS", 5)),
        "JOB_STALE_SECONDS": float(os.environ.get("JOB_STALE_SECONDS", 30)),
        "JOB_KEEP_DAYS": float(os.environ.get("JOB_KEEP_DAYS", 30)),
        "WEBHOOK_RETRY_SECONDS": os.environ.get("WEBHOOK_RETRY_SECONDS", ""),
        "WEBHOOK_TIMEOUT": float(os.environ.get("WEBHOOK_TIMEOUT", 10)),
        # Feeds (issue 23): each is polled every FEED_POLL_MINUTES, one request per host
        # every FEED_HOST_INTERVAL seconds, backing off up to FEED_MAX_BACKOFF_MINUTES after
        # errors; FEED_MAX_ITEMS items per answer, FEED_POLL_THREADS feeds at once.
        "FEED_POLL_MINUTES": float(os.environ.get("FEED_POLL_MINUTES", 15)),
        "FEED_HOST_INTERVAL": float(os.environ.get("FEED_HOST_INTERVAL", 1)),
        "FEED_MAX_BACKOFF_MINUTES": float(os.environ.get("FEED_MAX_BACKOFF_MINUTES", 360)),
        "FEED_MAX_ITEMS": int(os.environ.get("FEED_MAX_ITEMS", 100)),
        "FEED_POLL_THREADS": int(os.environ.get("FEED_POLL_THREADS", 8)),
        "FEED_POLL_NICE": int(os.environ.get("FEED_POLL_NICE", 19)),
        # Source snapshots (issue 22): each attached source is archived by the queue; a page
        # over SNAPSHOT_MAX_BYTES fails with that reason. Link checks re-fetch each source
        # every LINK_CHECK_HOURS, at most one request per host every LINK_CHECK_HOST_SECONDS.
        "SNAPSHOTS": _bool("SNAPSHOTS", True),
        "SNAPSHOT_MAX_BYTES": int(os.environ.get("SNAPSHOT_MAX_BYTES", 20 * 1024 * 1024)),
        "SNAPSHOT_TIMEOUT": float(os.environ.get("SNAPSHOT_TIMEOUT", 20)),
        "LINK_CHECK_HOURS": float(os.environ.get("LINK_CHECK_HOURS", 24)),
        "LINK_CHECK_HOST_SECONDS": float(os.environ.get("LINK_CHECK_HOST_SECONDS", 5)),
    }
    extra = folder / "config.py"
    if extra.exists():
        namespace: dict = {}
        exec(compile(extra.read_text(), str(extra), "exec"), namespace)  # noqa: S102 - operator's own file
        settings.update({k: v for k, v in namespace.items() if k.isupper()})
    if overrides:
        settings.update(overrides)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _secret_key(folder)
    return settings

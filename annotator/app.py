"""The factory's body: settings, extensions, blueprints, headers, error pages."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import IntegerConverter

from annotator import api, db, web
from annotator import config as settings
from annotator.extensions import csrf, htmx, login_manager, vary_on_htmx
from annotator.sanitize import MAX_INT
from annotator.services.errors import ServiceError


class BoundedInt(IntegerConverter):
    """An <int:...> URL part that only matches what a database id can hold."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(url_map, *args, **kwargs)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def build(overrides: dict | None = None) -> Flask:
    """Create the Flask app from settings, instance config and overrides."""
    app = Flask(
        __name__,
        template_folder=str(_asset_dir("templates")),
        static_folder=str(_asset_dir("static")),
        instance_path=str(settings.instance_path()),
    )
    app.config.update(settings.load(overrides))
    # JSON bodies nested deeper than a document needs are refused as they are read (a 400).
    from annotator.web.limits import DepthLimitedJSON, refuse_nul_bytes

    app.json = DepthLimitedJSON(app)
    app.before_request(refuse_nul_bytes)
    # Ids beyond what an id column holds are no id of ours: a 404, not a database error.
    app.url_map.converters["int"] = BoundedInt
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Trust exactly that many proxies' X-Forwarded-* headers: client address and https.
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"

    for blueprint in (*web.blueprints(), api.bp):
        app.register_blueprint(blueprint)
    # The API authenticates with bearer tokens only, never the session cookie, so a
    # cross-site form cannot ride on it: CSRF tokens do not apply there.
    csrf.exempt(api.bp)
    web.init_app(app)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(413, _too_large)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _asset_dir(name: str):
    # A wheel carries templates/ and static/ inside the package; a checkout has them beside it.
    packaged = settings.PACKAGE / name
    return packaged if packaged.is_dir() else settings.ROOT / name


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    vary_on_htmx(response)
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_page(status: int, title: str, message: str):
    if _wants_json():
        # The JSON face's one error shape: the HTTP status phrase, then what went wrong.
        return jsonify({"error": HTTP_STATUS_CODES.get(status, title),
                        "detail": message or title}), status
    return render_template("error.html", status=status, title=title, message=message), status


def _http_error(exc: HTTPException):
    return _error_page(exc.code or 500, exc.name, exc.description or "")


def _too_large(exc: HTTPException):
    from flask import current_app

    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return _error_page(
        413, "Too large",
        f"That is more than this desk accepts in one request ({limit / 1048576:.1f} MB). "
        "Upload a smaller file or paste just the article's text.",
    )


def _service_error(exc: ServiceError):
    titles = {404: "Not found", 403: "Not allowed", 409: "Conflict"}
    return _error_page(exc.status, titles.get(exc.status, "Cannot do that"), exc.message)


def _csrf_error(exc: CSRFError):
    return _error_page(
        400, "Form expired",
        "The form's security token is missing or out of date. Reload the page and try again.",
    )


def _unexpected_error(exc: Exception):
    # Never show a stack trace; the log keeps it for the operator.
    from flask import current_app

    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return _error_page(500, "Something went wrong",
                       "The error has been logged. Nothing was saved by this request.")

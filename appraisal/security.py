"""Security headers, the trusted-proxy setting and the safe post-login redirect."""

from __future__ import annotations

from urllib.parse import unquote

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

#: The only responses a browser or proxy may keep: files that are the same for everyone.
CACHEABLE_ENDPOINTS = frozenset({"static", "bootstrap.static"})


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site.

    Browsers read `//host`, `////host/x`, `/\\host` and `/<tab>/host` as another host, and a
    server that decodes `/%2F%2Fhost` gets one too; so the target must start with exactly one
    slash, hold no backslash or control character, and stay so once percent-decoded.
    """
    if not target:
        return False
    return all(_one_leading_slash(form) for form in (target, unquote(target)))


def _one_leading_slash(path: str) -> bool:
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and not any(ord(ch) < 32 or ord(ch) == 127 for ch in path)
    )


def init_app(app: Flask) -> None:
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Each trusted proxy appends the address it saw; anything further left is the
        # client's own claim and is ignored. The Host header is not taken from them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint not in CACHEABLE_ENDPOINTS and "no-store" not in response.headers.get(
            "Cache-Control", ""
        ):
            # Pages, downloads and API answers carry personal or pay data: never kept by a
            # shared proxy or in the browser's cache after sign-out (a view may say more,
            # such as "private, no-store" for a photo, never less).
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response

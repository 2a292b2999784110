"""Known devices: a long-lived signed cookie naming the accounts signed in from this browser.

A sign-in from a known device is held back only by that device's own failures, so a stranger
guessing someone's password elsewhere cannot lock them out of the browsers they use. The
cookie is signed with the secret key, holds user ids and random device ids (no names), and is
sent to the sign-in page only.
"""

from __future__ import annotations

import secrets

from flask import Request, Response, current_app
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE = "appraisal_device"
PATH = "/login"
_SALT = "appraisal.known-device"
_MAX_ACCOUNTS = 5  # a shared counter PC remembers a few people, the latest first


def known_devices(request: Request) -> dict[int, str]:
    """User id -> this browser's device id for that account; empty when absent, expired or
    not signed by us."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        entries = _serializer().loads(raw, max_age=_max_age())
    except BadData:
        return {}
    if not isinstance(entries, list):
        return {}
    return {
        entry[0]: entry[1]
        for entry in entries
        if isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], int)
        and isinstance(entry[1], str)
    }


def remember_device(response: Response, user_id: int, devices: dict[int, str]) -> None:
    """After a right password: this browser becomes (or stays) a known device for the user."""
    device = devices.get(user_id) or secrets.token_urlsafe(16)
    others = [[uid, did] for uid, did in devices.items() if uid != user_id]
    entries = [[user_id, device], *others[: _MAX_ACCOUNTS - 1]]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(entries),
        max_age=_max_age(),
        path=PATH,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _max_age() -> int:
    return current_app.config["LOGIN_DEVICE_DAYS"] * 24 * 3600

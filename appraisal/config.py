"""Configuration: defaults, overridden from the environment when the app is created.

Nothing is read at import time; `load_config` runs inside `create_app`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "WTF_CSRF_TIME_LIMIT": None,
    # Any request body (file uploads are 8 MB at most); JSON bodies have their own limit,
    # sized for the API's largest bulk request (50,000 employees is ~11 MB of JSON when
    # Chinese is escaped, as most clients do). Templates: 1 MB (builder.schemas.LIMITS).
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "API_MAX_JSON_BYTES": 16 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ("zh", "en"),
    "BOOTSTRAP_SERVE_LOCAL": True,
    "BOOTSTRAP_BOOTSWATCH_THEME": None,
    "PAGE_SIZE": 20,
    # Sign-in back-off (auth/throttle.py): after this many failures for one login name (or
    # known device; an address gets four times as many) each attempt waits, 1 minute doubling
    # per failure up to 15; failures are forgotten after a window without any.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FIRST_DELAY_SECONDS": 60,
    "LOGIN_MAX_DELAY_SECONDS": 15 * 60,
    "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    # A browser that signed in to an account stays a known device for it this long.
    "LOGIN_DEVICE_DAYS": 365,
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed; 0 means
    # the socket's address is the client's (a forged header changes nothing).
    "TRUSTED_PROXIES": 0,
    "LOG_FORMAT": "json",
    # Files (photos): a directory, by default `<instance>/files`; or an S3-compatible bucket
    # when S3_BUCKET is set (storage.py). The S3 keys are None unless the environment sets them.
    "STORAGE_DIR": None,
    "S3_BUCKET": None,
    "S3_ENDPOINT_URL": None,
    "S3_REGION": None,
    "S3_ACCESS_KEY_ID": None,
    "S3_SECRET_ACCESS_KEY": None,
    "S3_PREFIX": "",
    # A photo upload is read up to this many bytes, then refused (413); it must fit in
    # MAX_CONTENT_LENGTH with room for the form around it. Images of more pixels than
    # PHOTO_MAX_PIXELS are refused before they are decoded (decompression bombs).
    "PHOTO_MAX_BYTES": 8 * 1024 * 1024,
    "PHOTO_MAX_PIXELS": 50_000_000,
    # The job queue (appraisal/jobs): huey's SQLite storage in the instance folder when
    # JOBS_URL is unset; redis://... or postgresql://... in production. JOBS_IMMEDIATE runs
    # jobs inside the request that submits them (default: on when TESTING, off otherwise).
    "JOBS_URL": None,
    # Threads of `appraisal worker` (and of the worker `appraisal run` starts).
    "JOBS_WORKERS": 2,
    # An idle SQLite-backed consumer looks for new jobs at least this often (seconds).
    "JOBS_POLL_SECONDS": 1.0,
    # Finished jobs (and the files they kept: imports' rows, exports) are deleted after this
    # many days, by the periodic `jobs.prune` that runs every JOBS_PRUNE_MINUTES (0: never).
    "JOBS_KEEP_DAYS": 30,
    "JOBS_PRUNE_MINUTES": 60,
    # A running job whose worker has not said it is alive for this long (it does every 10
    # seconds) lost its worker: marked failed when a worker starts, and by `jobs.prune`.
    "JOBS_ORPHAN_SECONDS": 60,
    # The metric sweep (every open cycle's computed figures) runs every N minutes; 0: never.
    "METRICS_SWEEP_MINUTES": 60,
    # Notifications (appraisal/notifications): the outbox is sent every N minutes (0: never).
    "NOTIFICATIONS_DELIVER_MINUTES": 1,
    # Deadline reminders (each cycle's reminder days) are looked for every N minutes.
    "NOTIFICATIONS_REMIND_MINUTES": 60,
    # Sent, merged, failed or skipped messages and read in-app entries are deleted after this
    # many days (by the periodic prune, every JOBS_PRUNE_MINUTES).
    "NOTIFICATIONS_KEEP_DAYS": 180,
    # The address links in e-mails and robot messages start with (https://perf.example.cn);
    # unset, messages carry no link.
    "PUBLIC_URL": None,
    # E-mail over SMTP; unset MAIL_SERVER: no e-mail is sent (messages are kept as skipped).
    # MAIL_SECURITY: "starttls", "ssl" (SMTPS) or "none".
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_SECURITY": "none",
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_SENDER": "appraisal@localhost",
    "MAIL_TIMEOUT_SECONDS": 10.0,
    # Group robots (企业微信, 钉钉) post only to their platforms' own hosts (qyapi.weixin.qq.com,
    # oapi.dingtalk.com, https); hosts listed here (comma-separated, e.g. an intranet relay)
    # are allowed too, over http or https. A guard against the server being made to post
    # to an internal address (SSRF).
    "NOTIFICATIONS_ROBOT_HOSTS": None,
    # Keys that encrypt secrets at rest (robot webhooks and signing secrets): Fernet keys,
    # comma-separated, the first encrypts, all decrypt (rotation). Unset: one derived from
    # SECRET_KEY.
    "ENCRYPTION_KEYS": None,
    # Backups made from the app (appraisal/backups): files in BACKUP_DIR (default
    # `<instance>/backups`, on the worker's machine; the web server reads it to download, so
    # share it when they differ). The schedule is checked every BACKUP_CHECK_MINUTES (0:
    # never). A scheduled backup is encrypted when BACKUP_PASSPHRASE is set (no page keeps
    # a passphrase). PostgreSQL: pg_dump / pg_restore from the PATH, or these paths.
    "BACKUP_DIR": None,
    "BACKUP_CHECK_MINUTES": 60,
    "BACKUP_PASSPHRASE": None,
    "PG_DUMP": None,
    "PG_RESTORE": None,
}

#: Environment variables read into the configuration (name in env -> config key, type).
ENVIRONMENT = {
    "DATABASE_URL": ("DATABASE_URL", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "APPRAISAL_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", bool),
    "APPRAISAL_LOG_FORMAT": ("LOG_FORMAT", str),
    "APPRAISAL_DEFAULT_LOCALE": ("BABEL_DEFAULT_LOCALE", str),
    "APPRAISAL_LOGIN_MAX_FAILURES": ("LOGIN_MAX_FAILURES", int),
    "APPRAISAL_MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", int),
    "APPRAISAL_API_MAX_JSON_BYTES": ("API_MAX_JSON_BYTES", int),
    "APPRAISAL_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "APPRAISAL_STORAGE_DIR": ("STORAGE_DIR", str),
    "APPRAISAL_S3_BUCKET": ("S3_BUCKET", str),
    "APPRAISAL_S3_ENDPOINT_URL": ("S3_ENDPOINT_URL", str),
    "APPRAISAL_S3_REGION": ("S3_REGION", str),
    "APPRAISAL_S3_ACCESS_KEY_ID": ("S3_ACCESS_KEY_ID", str),
    "APPRAISAL_S3_SECRET_ACCESS_KEY": ("S3_SECRET_ACCESS_KEY", str),
    "APPRAISAL_S3_PREFIX": ("S3_PREFIX", str),
    "APPRAISAL_PHOTO_MAX_BYTES": ("PHOTO_MAX_BYTES", int),
    "APPRAISAL_PHOTO_MAX_PIXELS": ("PHOTO_MAX_PIXELS", int),
    "APPRAISAL_JOBS_URL": ("JOBS_URL", str),
    "APPRAISAL_JOBS_IMMEDIATE": ("JOBS_IMMEDIATE", bool),
    "APPRAISAL_JOBS_WORKERS": ("JOBS_WORKERS", int),
    "APPRAISAL_JOBS_POLL_SECONDS": ("JOBS_POLL_SECONDS", float),
    "APPRAISAL_JOBS_KEEP_DAYS": ("JOBS_KEEP_DAYS", int),
    "APPRAISAL_JOBS_PRUNE_MINUTES": ("JOBS_PRUNE_MINUTES", int),
    "APPRAISAL_JOBS_ORPHAN_SECONDS": ("JOBS_ORPHAN_SECONDS", float),
    "APPRAISAL_METRICS_SWEEP_MINUTES": ("METRICS_SWEEP_MINUTES", int),
    "APPRAISAL_NOTIFICATIONS_DELIVER_MINUTES": ("NOTIFICATIONS_DELIVER_MINUTES", int),
    "APPRAISAL_NOTIFICATIONS_REMIND_MINUTES": ("NOTIFICATIONS_REMIND_MINUTES", int),
    "APPRAISAL_NOTIFICATIONS_KEEP_DAYS": ("NOTIFICATIONS_KEEP_DAYS", int),
    "APPRAISAL_PUBLIC_URL": ("PUBLIC_URL", str),
    "APPRAISAL_MAIL_SERVER": ("MAIL_SERVER", str),
    "APPRAISAL_MAIL_PORT": ("MAIL_PORT", int),
    "APPRAISAL_MAIL_SECURITY": ("MAIL_SECURITY", str),
    "APPRAISAL_MAIL_USERNAME": ("MAIL_USERNAME", str),
    "APPRAISAL_MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "APPRAISAL_MAIL_SENDER": ("MAIL_SENDER", str),
    "APPRAISAL_MAIL_TIMEOUT_SECONDS": ("MAIL_TIMEOUT_SECONDS", float),
    "APPRAISAL_ENCRYPTION_KEYS": ("ENCRYPTION_KEYS", str),
    "APPRAISAL_NOTIFICATIONS_ROBOT_HOSTS": ("NOTIFICATIONS_ROBOT_HOSTS", str),
    "APPRAISAL_BACKUP_DIR": ("BACKUP_DIR", str),
    "APPRAISAL_BACKUP_CHECK_MINUTES": ("BACKUP_CHECK_MINUTES", int),
    "APPRAISAL_BACKUP_PASSPHRASE": ("BACKUP_PASSPHRASE", str),
    "APPRAISAL_PG_DUMP": ("PG_DUMP", str),
    "APPRAISAL_PG_RESTORE": ("PG_RESTORE", str),
}


#: Room for the multipart form around an uploaded photo (its other fields, boundaries).
FORM_MARGIN = 64 * 1024


def _parse(value: str, kind: type) -> Any:
    if kind is bool:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return kind(value)


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then explicit overrides (tests)."""
    config = dict(DEFAULTS)
    for env_name, (key, kind) in ENVIRONMENT.items():
        if env_name in os.environ and os.environ[env_name] != "":
            config[key] = _parse(os.environ[env_name], kind)
    config.update(overrides or {})
    if config["PHOTO_MAX_BYTES"] + FORM_MARGIN > config["MAX_CONTENT_LENGTH"]:
        raise ValueError(
            "APPRAISAL_PHOTO_MAX_BYTES must be at least 64 KB below APPRAISAL_MAX_CONTENT_LENGTH "
            "(the form around a photo is part of the request)"
        )
    if config.get("ENCRYPTION_KEYS"):
        from .encryption import parse_keys

        parse_keys(config["ENCRYPTION_KEYS"])  # a malformed key stops the start, by position
    config.setdefault("DATABASE_URL", f"sqlite:///{Path(instance_path) / 'appraisal.sqlite'}")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(Path(instance_path))
    return config


def _instance_secret(instance_path: Path) -> str:
    """A random key kept in the instance folder, so sign-ins survive a restart of `make run`.

    Production sets SECRET_KEY in the environment instead.
    """
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key

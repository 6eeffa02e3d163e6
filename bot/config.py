"""Settings: defaults, then the environment, then an explicit mapping (tests), then validation.

Environment variable names are a contract with operators (see the README); a missing or
malformed value stops start-up with one line naming the variable.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlparse

ENV_VARS = (
    "WECHAT_TOKEN",
    "WECHAT_APP_ID",
    "WECHAT_APP_SECRET",
    "WECHAT_ENCODING_AES_KEY",
    "REDIS_URL",
    "BOT_DATA_DIR",
    "KNOWLEDGE_DIR",
    "NOTIFY_WECOM_WEBHOOK",
    "NOTIFY_EMAIL_TO",
    "SMTP_URL",
    "ADMIN_TOKEN",
    "ADMIN_USERS",  # named admin accounts: name:werkzeug-hash,name:hash (or `parkbot admin add`)
    "PORT",
    "BOT_WEB_CHAT",
    "WECHAT_TIMESTAMP_WINDOW",
    "WECHAT_API_BASE_URL",
    "ADMIN_BASE_URL",
    "REDIS_SENTINELS",
    "REDIS_SENTINEL_MASTER",
    "REDIS_PREFIX",  # beyond the contract: lets several bots (or a test run) share one Redis
)

DEFAULTS: dict[str, Any] = {
    "WECHAT_TOKEN": None,
    "WECHAT_APP_ID": None,
    "WECHAT_APP_SECRET": None,
    "WECHAT_ENCODING_AES_KEY": None,
    "REDIS_URL": None,
    "BOT_DATA_DIR": "./var",
    "KNOWLEDGE_DIR": "./knowledge",
    "NOTIFY_WECOM_WEBHOOK": None,
    "NOTIFY_EMAIL_TO": None,
    "SMTP_URL": None,
    "ADMIN_TOKEN": None,
    "ADMIN_USERS": None,
    "ADMIN_SESSION_AGE": 8 * 3600,  # a signed-in admin signs in again after this long
    "PORT": 8000,
    "BOT_WEB_CHAT": False,
    "WECHAT_TIMESTAMP_WINDOW": 300,  # seconds a request's timestamp may be off; 0 turns the check off
    "WECHAT_API_BASE_URL": "https://api.weixin.qq.com",  # a forward proxy, or a local stand-in in tests
    "ADMIN_BASE_URL": None,  # public address of /admin, for links in staff alerts
    "REDIS_SENTINELS": None,
    "REDIS_SENTINEL_MASTER": None,
    "REDIS_PREFIX": "parkbot",
    # not environment contract; tuned by tests and benchmarks
    "DEV": False,
    "REDIS_TIMEOUT": 1.0,  # seconds per socket operation: a dead Redis must not eat the 5 s budget
    "SESSION_TTL": 7 * 24 * 3600,  # idle conversation state
    "FORM_TTL": 24 * 3600,  # an unfinished lead form is offered again until then
    "RESUME_AFTER": 30 * 60,  # a pause this long mid-form gets 「继续吗?」 before anything else
    "TRANSCRIPT_TTL": 7 * 24 * 3600,
    "TRANSCRIPT_LEN": 500,  # lines of a user's conversation kept (staff read the whole of it)
    "DEDUP_TTL": 60,  # WeChat retries within ~15 s
    "REPLY_WAIT": 4.0,  # how long a retry waits for the first delivery's reply
    "MAX_BODY": 64 * 1024,
    "KNOWLEDGE_CHECK_INTERVAL": 1.0,
    "HTTP_TIMEOUT": 5.0,
    "LOCK_TIMEOUT": 5.0,  # WeChat waits 5 s for a reply: no message may hold its user's lock longer
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """One line, naming the variable."""


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ConfigError(f"{name} must be a {' or '.join(s + '://' for s in schemes)} URL, not {value!r}")
    return value


def sentinel_addresses(value: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` as pairs; anything else is a :class:`ConfigError` naming REDIS_SENTINELS."""
    out = []
    for item in str(value).split(","):
        host, sep, port = item.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ConfigError(f"REDIS_SENTINELS must be host:port pairs separated by commas, not {value!r}")
        out.append((host.strip("[]"), int(port)))
    return out


def _sentinel(cfg: dict[str, Any]) -> None:
    """Sentinel needs both the sentinels and the master's name; either alone is a mistake."""
    sentinels, master = cfg["REDIS_SENTINELS"], cfg["REDIS_SENTINEL_MASTER"]
    if sentinels is None and master is None:
        return
    if sentinels is None:
        raise ConfigError("REDIS_SENTINELS is required when REDIS_SENTINEL_MASTER is set (host:port,host:port)")
    if master is None:
        raise ConfigError("REDIS_SENTINEL_MASTER is required when REDIS_SENTINELS is set (the master's name)")
    sentinel_addresses(sentinels)
    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", master):
        raise ConfigError(f"REDIS_SENTINEL_MASTER must be the master's name as the sentinels know it, not {master!r}")


def validate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise ``cfg`` in place; raise :class:`ConfigError` on the first bad value."""
    for name in ENV_VARS:
        if isinstance(cfg.get(name), str) and not cfg[name].strip():
            cfg[name] = DEFAULTS.get(name)

    if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,40}", str(cfg["REDIS_PREFIX"] or "")):
        raise ConfigError("REDIS_PREFIX must be 1-40 letters, digits, '.', '-' or '_'")
    cfg["DEV"] = _bool("DEV", cfg["DEV"])
    cfg["BOT_WEB_CHAT"] = _bool("BOT_WEB_CHAT", cfg["BOT_WEB_CHAT"])

    token = cfg["WECHAT_TOKEN"]
    if token is None:
        if not cfg["DEV"]:
            raise ConfigError("WECHAT_TOKEN is required (the Official Account's server token)")
        cfg["WECHAT_TOKEN"] = token = "dev-" + secrets.token_hex(8)
        cfg["DEV_TOKEN_GENERATED"] = True
    if not re.fullmatch(r"[A-Za-z0-9_\-]{3,64}", token):
        raise ConfigError("WECHAT_TOKEN must be 3-64 letters, digits, '-' or '_'")

    aes_key = cfg["WECHAT_ENCODING_AES_KEY"]
    if aes_key is not None:
        try:
            if len(aes_key) != 43 or len(base64.b64decode(aes_key + "=", validate=True)) != 32:
                raise ValueError
        except (ValueError, binascii.Error):
            raise ConfigError("WECHAT_ENCODING_AES_KEY must be the 43-character EncodingAESKey") from None
        if not cfg["WECHAT_APP_ID"]:
            raise ConfigError("WECHAT_APP_ID is required when WECHAT_ENCODING_AES_KEY is set")
    if cfg["WECHAT_APP_SECRET"] and not cfg["WECHAT_APP_ID"]:
        raise ConfigError("WECHAT_APP_ID is required when WECHAT_APP_SECRET is set")

    if cfg["REDIS_URL"] is not None:
        _url("REDIS_URL", cfg["REDIS_URL"], ("redis", "rediss", "unix"))
    _sentinel(cfg)
    if cfg["NOTIFY_WECOM_WEBHOOK"] is not None:
        _url("NOTIFY_WECOM_WEBHOOK", cfg["NOTIFY_WECOM_WEBHOOK"], ("http", "https"))
    cfg["WECHAT_API_BASE_URL"] = _url("WECHAT_API_BASE_URL", cfg["WECHAT_API_BASE_URL"] or DEFAULTS["WECHAT_API_BASE_URL"],
                                      ("http", "https")).rstrip("/")
    if cfg["ADMIN_BASE_URL"] is not None:
        cfg["ADMIN_BASE_URL"] = _url("ADMIN_BASE_URL", cfg["ADMIN_BASE_URL"], ("http", "https")).rstrip("/")
    if cfg["SMTP_URL"] is not None:
        _url("SMTP_URL", cfg["SMTP_URL"], ("smtp", "smtps"))
    if cfg["NOTIFY_EMAIL_TO"] is not None:
        addresses = [a.strip() for a in str(cfg["NOTIFY_EMAIL_TO"]).split(",") if a.strip()]
        if not addresses or not all(re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", a) for a in addresses):
            raise ConfigError("NOTIFY_EMAIL_TO must be one or more e-mail addresses separated by commas")
        if not cfg["SMTP_URL"]:
            raise ConfigError("SMTP_URL is required when NOTIFY_EMAIL_TO is set")
        cfg["NOTIFY_EMAIL_TO"] = addresses
    if cfg["ADMIN_TOKEN"] is not None and len(cfg["ADMIN_TOKEN"]) < 8:
        raise ConfigError("ADMIN_TOKEN must be at least 8 characters")
    from .store.accounts import AccountError, parse_users

    try:
        cfg["ADMIN_USER_HASHES"] = parse_users(cfg["ADMIN_USERS"])
    except AccountError as exc:
        raise ConfigError(f"ADMIN_USERS: {exc}") from None

    cfg["WECHAT_API_BASE_URL"] = _url("WECHAT_API_BASE_URL", str(cfg["WECHAT_API_BASE_URL"]),
                                      ("http", "https")).rstrip("/")
    window = cfg["WECHAT_TIMESTAMP_WINDOW"]
    try:
        window = int(str(window).strip()) if not isinstance(window, bool) else -1
        if window < 0:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError("WECHAT_TIMESTAMP_WINDOW must be a whole number of seconds, 0 or more "
                          f"(0 turns the replay check off), not {cfg['WECHAT_TIMESTAMP_WINDOW']!r}") from None
    cfg["WECHAT_TIMESTAMP_WINDOW"] = window

    try:
        port = int(cfg["PORT"])
        if not 1 <= port <= 65535:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(f"PORT must be a number from 1 to 65535, not {cfg['PORT']!r}") from None
    cfg["PORT"] = port

    for name in ("BOT_DATA_DIR", "KNOWLEDGE_DIR"):
        cfg[name] = Path(cfg[name]).expanduser()
    if not cfg["KNOWLEDGE_DIR"].is_dir():
        raise ConfigError(f"KNOWLEDGE_DIR {str(cfg['KNOWLEDGE_DIR'])!r} is not a directory")
    return cfg


def load(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    cfg = dict(DEFAULTS)
    cfg.update({name: environ[name] for name in ENV_VARS if name in environ})
    cfg.update(overrides or {})
    return validate(cfg)

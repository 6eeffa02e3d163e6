"""Who is asking: the bearer token (scripts), or a person signed in with a named account or the token.

A person signs in through a form and gets a signed, HttpOnly, SameSite=Strict cookie (its key
is derived from ``ADMIN_TOKEN``, so changing the token signs everybody out, and every worker
checks it without shared state). The cookie expires after ``ADMIN_SESSION_AGE``; a removed
account's cookie stops working at its next request. Sign-in attempts are limited per address
and per name; after signing in the person lands on the page they had asked for.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from flask import abort, current_app, g, jsonify, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ...store.ratelimit import SharedRateLimit
from ...store.connection import get_keys, get_redis
from .common import accounts, bp, error, m, wants_json

COOKIE = "parkbot_admin"
LOGIN_LIMIT, LOGIN_WINDOW = 20, 600  # sign-in attempts per client address
NAME_LIMIT = 10  # per account name in the same window: a password is not guessed from many addresses
TOKEN_USER = ""  # the cookie's user for a sign-in with the token itself
_NEXT = re.compile(r"/admin(/[A-Za-z0-9_\-./]*)?(\?[A-Za-z0-9_\-.=&%+]*)?")


def _token() -> str | None:
    return current_app.config.get("ADMIN_TOKEN") or None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _serializer() -> URLSafeTimedSerializer:
    secret = hmac.new(_token().encode("utf-8"), b"parkbot admin session v1", hashlib.sha256).hexdigest()
    return URLSafeTimedSerializer(secret, salt="parkbot-admin-session")


def _age() -> int:
    return int(current_app.config.get("ADMIN_SESSION_AGE") or 8 * 3600)


def session() -> dict | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=_age())
    except BadSignature:  # also an expired one
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    user = data.get("user", TOKEN_USER)
    if not isinstance(user, str) or (user and not accounts().exists(user)):
        return None  # the account was removed
    return data


def safe_next(value: str | None) -> str:
    """Only a path of this admin page: never another site, never a scheme-relative ``//``."""
    if value and _NEXT.fullmatch(value) and "//" not in value and ".." not in value:
        return value
    return url_for("admin.index")


def unauthorised(key: str):
    if wants_json():
        response = jsonify({"error": m(key)})
    else:
        asked = request.full_path.rstrip("?") if request.method == "GET" else ""
        response = current_app.make_response(
            render_template("admin_login.html", message=m(key), next=safe_next(asked)))
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="parkbot admin"'
    return response


@bp.before_request
def _gate():
    if not _token():
        abort(404)
    g.admin, g.csrf, g.admin_name = None, "", None
    if request.endpoint in ("admin.static", "admin.login", "admin.login_form"):
        return None
    header = request.headers.get("Authorization")
    if header is not None:  # a script: the header alone decides
        scheme, _, given = header.strip().partition(" ")
        if scheme.lower() == "bearer" and given.strip() and _same(given.strip(), _token()):
            g.admin, g.admin_name = "bearer", m("admin_who_api")
            return None
        return unauthorised("admin_login_wrong")
    data = session()
    if data is None:
        return unauthorised("admin_unauthorized" if wants_json() else "admin_login_required")
    g.admin, g.csrf = "cookie", data["csrf"]
    g.admin_name = data.get("user") or m("admin_who_token")
    return None


def check_csrf() -> bool:
    """A cookie session's form must carry its CSRF token; a bearer request cannot be forged by a page.

    The JSON API reads the token from ``X-CSRF-Token`` (a page's script), forms from the field.
    """
    if g.admin == "bearer":
        return True
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf", "")
    return bool(given) and bool(g.csrf) and _same(given, g.csrf)


@bp.get("/login")
def login_form():
    if session() is not None:
        return redirect(safe_next(request.args.get("next")), 303)
    key = "admin_logged_out" if request.args.get("bye") else None
    return render_template("admin_login.html", message=m(key) if key else "", notice=bool(key),
                           next=safe_next(request.args.get("next")))


@bp.post("/login")
def login():
    name = (request.form.get("name") or "").strip()
    target = safe_next(request.form.get("next"))
    limiter = SharedRateLimit(get_redis(current_app))
    keys = get_keys(current_app)
    now = time.time()
    wait = limiter.take(keys.rate(f"admin-login:{request.remote_addr or '-'}"), LOGIN_LIMIT, LOGIN_WINDOW, now)
    if wait <= 0 and name:
        wait = limiter.take(keys.rate(f"admin-login-name:{hashlib.sha256(name.encode()).hexdigest()[:16]}"),
                            NAME_LIMIT, LOGIN_WINDOW, now)
    if wait > 0:
        return render_template("admin_login.html", message=m("admin_login_throttled", minutes=int(wait // 60) + 1),
                               next=target, name=name), 429
    secret = request.form.get("password") or request.form.get("token") or ""
    if name:
        ok = len(name) <= 32 and accounts().verify(name, secret)
    else:
        ok = bool(secret) and _same(secret, _token())
    if not ok:
        return render_template("admin_login.html", message=m("admin_login_wrong"), next=target, name=name), 401
    response = redirect(target, 303)
    response.set_cookie(COOKIE, _serializer().dumps({"csrf": secrets.token_urlsafe(32), "user": name}),
                        max_age=_age(), path="/admin", httponly=True, samesite="Strict", secure=request.is_secure)
    return response


@bp.post("/logout")
def logout():
    if not check_csrf():
        return error(400, "admin_csrf_bad")
    response = redirect(url_for("admin.login_form", bye=1), 303)
    response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="Strict", secure=request.is_secure)
    return response

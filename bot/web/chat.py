"""``/chat``: a WeChat-look web page that talks to the same dialogue engine as ``/wechat``.

It lets a newcomer try the bot in a browser and an admin check a knowledge edit without a
phone. It is a channel like the webhook: it turns HTTP into an ``Incoming`` and a ``Reply``
into JSON, and knows nothing of the conversation.

Off unless ``BOT_WEB_CHAT`` is on, or ``DEV`` and the request comes from this machine, or the
request carries ``ADMIN_TOKEN`` (``Authorization: Bearer``, or ``?token=`` once, which is then
kept in an HttpOnly SameSite=Strict cookie). Otherwise every ``/chat`` URL is a plain 404, so
a production deployment does not reveal the page exists.

The user's id ("web-" + 20 hex, like an OpenID) lives in a cookie signed with ``SECRET_KEY``
when the app has one, else with a key derived from ``WECHAT_TOKEN`` (HMAC, so the token itself
is never exposed): stable across workers and restarts, and rotating ``WECHAT_TOKEN`` simply
gives every web user a fresh conversation. The Flask session is left alone for other pages.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from typing import Any, Mapping

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import RequestEntityTooLarge

from ..dialogue.replies import Incoming

log = logging.getLogger(__name__)
bp = Blueprint("chat", __name__, url_prefix="/chat", template_folder="templates", static_folder="static/chat",
               static_url_path="/static")

MAX_TEXT = 500  # characters: WeChat itself caps a text at 2048 bytes, ~600 Chinese characters
MAX_EVENT_KEY = 64
USER_COOKIE = "parkbot_chat_user"
TOKEN_COOKIE = "parkbot_chat_token"
USER_MAX_AGE = 30 * 24 * 3600
LOCALHOST = frozenset({"127.0.0.1", "::1"})
_USER_ID = re.compile(r"web-[0-9a-f]{20}")

# The page loads nothing from elsewhere; the policy makes an injected <script> or <img> inert too.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a ?token= in the address must not leak to the links on cards
    "Cache-Control": "no-store",
}


def available(cfg: Mapping[str, Any]) -> bool:
    """Whether anyone can reach the page in this configuration (``parkbot serve`` prints the URL then)."""
    return bool(cfg.get("BOT_WEB_CHAT") or cfg.get("DEV") or cfg.get("ADMIN_TOKEN"))


# --- who may see it ---------------------------------------------------------------------------

def _secret() -> bytes:
    configured = current_app.config.get("SECRET_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    return hmac.new(current_app.config["WECHAT_TOKEN"].encode(), b"parkbot web chat", hashlib.sha256).digest()


def _token_mark(token: str) -> str:
    # the cookie keeps a keyed digest, not the admin token itself
    return hmac.new(_secret(), b"admin:" + token.encode(), hashlib.sha256).hexdigest()


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _presented_token() -> str | None:
    """Which way the admin token came, if it came: "header", "query" or "cookie"."""
    admin = current_app.config.get("ADMIN_TOKEN")
    if not admin:
        return None
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and _same(auth[7:].strip(), admin):
        return "header"
    if _same(request.args.get("token"), admin):
        return "query"
    if _same(request.cookies.get(TOKEN_COOKIE), _token_mark(admin)):
        return "cookie"
    return None



def _respond(incoming: Incoming):
    """The same channel-neutral reply the WeChat webhook gives (bot.answering)."""
    return current_app.extensions["parkbot.responder"].respond(incoming)

@bp.before_request
def _gate():
    cfg = current_app.config
    g.chat_token = _presented_token()
    # remote_addr, not X-Forwarded-For: a header is the client's to forge
    g.chat_allowed = bool(cfg["BOT_WEB_CHAT"] or g.chat_token or (cfg["DEV"] and request.remote_addr in LOCALHOST))
    if not g.chat_allowed:
        abort(404)


# --- who is talking ---------------------------------------------------------------------------

def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(_secret(), salt="parkbot-webchat-user")


def _user_id() -> str:
    """The caller's id from the signed cookie, or a new one (set on the response by ``_finish``)."""
    if "chat_user" not in g:
        try:
            value = _signer().loads(request.cookies.get(USER_COOKIE, ""))
        except BadSignature:
            value = None
        if isinstance(value, str) and _USER_ID.fullmatch(value):
            g.chat_user, g.chat_user_new = value, False
        else:
            g.chat_user, g.chat_user_new = "web-" + secrets.token_hex(10), True
    return g.chat_user


@bp.after_request
def _finish(response: Response) -> Response:
    if not g.get("chat_allowed"):
        return response  # the gate's 404 must look like any other unknown URL's
    response.headers.update(_HEADERS)
    secure = request.is_secure
    if g.get("chat_user_new"):
        # Lax, not Strict: following a link to /chat from elsewhere must not start a new conversation
        response.set_cookie(USER_COOKIE, _signer().dumps(g.chat_user), max_age=USER_MAX_AGE, path=bp.url_prefix,
                            httponly=True, samesite="Lax", secure=secure)
    if g.get("chat_token") == "query":
        response.set_cookie(TOKEN_COOKIE, _token_mark(current_app.config["ADMIN_TOKEN"]), path=bp.url_prefix,
                            httponly=True, samesite="Strict", secure=secure)
    return response


# --- the page ---------------------------------------------------------------------------------

@bp.get("")
def page():
    kb = current_app.extensions["parkbot.knowledge"].current()
    say = kb.messages.render
    strings = {
        "placeholder": say("webchat_placeholder"),
        "send": say("webchat_send"),
        "menuText": say("webchat_menu_text"),
        "openLink": say("webchat_open_link"),
        "networkError": say("webchat_network_error"),
        "tooLong": say("webchat_too_long", limit=MAX_TEXT),
        "empty": say("webchat_empty"),
        "retry": say("webchat_retry"),
        "sendFailed": say("webchat_send_failed"),
    }
    # tells the script whose history sessionStorage holds, without showing the id to scripts
    conversation = hashlib.sha256(_user_id().encode()).hexdigest()[:12]
    return render_template(
        "chat.html", title=say("webchat_title", park=kb.park.name), avatar=kb.park.name[:1],
        menu_label=say("webchat_menu_button"), strings=strings, max_text=MAX_TEXT, conversation=conversation,
    )


# --- the API ----------------------------------------------------------------------------------

def _error(status: int, key: str, **values: object):
    messages = current_app.extensions["parkbot.knowledge"].current().messages
    return jsonify({"error": key.removeprefix("webchat_"), "message": messages.render(key, **values)}), status


def _json_body() -> tuple[dict | None, Any]:
    """The request's JSON object, or ``(None, error response)``.

    Cross-site forgery: a form or a simple cross-origin fetch cannot send a JSON content type
    or an X-Requested-With header without a CORS preflight, which this app never approves.
    Sec-Fetch-Site, set by the browser and unforgeable by page scripts, is checked as well when
    present. (Origin is not compared with Host: behind a TLS proxy the two legitimately differ.)
    """
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none") \
            or not request.headers.get("X-Requested-With"):
        return None, _error(403, "webchat_forbidden")
    if request.mimetype != "application/json":
        return None, _error(415, "webchat_wrong_type")
    try:
        body = request.get_json(silent=True)
    except RequestEntityTooLarge:
        return None, _error(413, "webchat_too_long", limit=MAX_TEXT)
    if not isinstance(body, dict):
        return None, _error(400, "webchat_bad_request")
    return body, None


@bp.post("/api/message")
def message():
    body, error = _json_body()
    if error:
        return error
    text = body.get("text")
    if not isinstance(text, str):
        return _error(400, "webchat_bad_request")
    text = text.strip()
    if not text:
        return _error(400, "webchat_empty")
    if len(text) > MAX_TEXT:
        return _error(413, "webchat_too_long", limit=MAX_TEXT)
    reply = _respond(Incoming(_user_id(), "text", text=text, channel="web"))
    return jsonify(reply.to_dict())


@bp.post("/api/event")
def event():
    """``subscribe`` when the page opens (welcome and menu); ``click`` with a menu key."""
    body, error = _json_body()
    if error:
        return error
    name, key = body.get("event"), body.get("event_key", "")
    # unsubscribe would erase the conversation: that is 「删除我的信息」's job, not a page load's
    if name not in ("subscribe", "click") or not isinstance(key, str) or len(key) > MAX_EVENT_KEY \
            or (name == "click" and not key):
        return _error(400, "webchat_bad_request")
    reply = _respond(Incoming(_user_id(), "event", event=name, event_key=key, channel="web"))
    return jsonify(reply.to_dict())


@bp.get("/api/updates")
def updates():
    """What a person at the admin page said to this user after ``after`` (a time from the last poll):
    the page polls, since nothing can be pushed to it."""
    try:
        after = float(request.args.get("after", "0"))
    except ValueError:
        return _error(400, "webchat_bad_request")
    if not math.isfinite(after):
        return _error(400, "webchat_bad_request")
    storage = current_app.extensions["parkbot.storage"]
    items = [{"t": e["t"], "who": e.get("who", ""), "text": e.get("text", "")}
             for e in storage.transcript(_user_id(), 10_000)
             if e.get("push") and isinstance(e.get("t"), (int, float)) and e["t"] > after]
    return jsonify({"items": items})

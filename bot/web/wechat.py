"""``/wechat``: the Official Account's server endpoint. Protocol only.

Signature and timestamp checks, safe-mode crypto, safe XML, de-duplication of WeChat's
retries; then the dialogue engine makes the reply. Whatever fails behind it, WeChat gets an
answer within its 5 s: a 4xx for a request that is not WeChat's, a polite text otherwise.
"""
from __future__ import annotations

import functools
import logging
import struct
import time
from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, request
from wechatpy.exceptions import InvalidAppIdException

from . import wxevents, wxmsg
from .wxcrypto import SafeModeCrypto

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__)


@bp.record_once
def _answered_ahead_of_flask(state) -> None:
    """The common POSTs are answered at the WSGI layer by the same steps as ``receive`` (wechat_wsgi.py)."""
    from .wechat_wsgi import install

    install(state.app, _read, _answer, Refused)


def _checked_query(args, cfg) -> tuple[str, str]:
    """Timestamp and nonce of a request whose signature and age are right; 403 otherwise."""
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        raise Refused(403) from None
    window = cfg["WECHAT_TIMESTAMP_WINDOW"]
    if window and age > window:  # 0: the operator turned the replay check off (a drifting clock)
        raise Refused(403)
    expected = wxmsg.signature(cfg["WECHAT_TOKEN"], timestamp, nonce)
    if not wxmsg.signature_ok(expected, args.get("signature")):
        raise Refused(403)
    return timestamp, nonce


def _crypto(cfg) -> SafeModeCrypto | None:
    if not cfg["WECHAT_ENCODING_AES_KEY"]:
        return None
    return _crypto_for(cfg["WECHAT_TOKEN"], cfg["WECHAT_ENCODING_AES_KEY"], cfg["WECHAT_APP_ID"])


@functools.lru_cache(maxsize=8)
def _crypto_for(token: str, aes_key: str, app_id: str) -> SafeModeCrypto:
    return SafeModeCrypto(token, aes_key, app_id)  # keeps no per-message state: the key and cipher made once


@bp.get("/wechat")
def verify():
    try:
        _checked_query(request.args, current_app.config)
    except Refused as refused:
        abort(refused.code)
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


class Refused(Exception):
    """A request answered with an HTTP error (``code``) before anything was done for it."""

    def __init__(self, code: int, reason: str = ""):
        super().__init__(code)
        self.code, self.reason = code, reason


def _read(cfg, args, body: bytes):
    """Checks, decrypts and parses a POST (nothing is done for it yet, nothing logged): the message,
    its crypto (None in plain mode), the nonce and timestamp; ``Refused`` when it is not for us."""
    timestamp, nonce = _checked_query(args, cfg)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400) from None
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    crypto = _crypto(cfg) if encrypted else None
    try:
        if encrypted:
            if crypto is None:
                raise Refused(400)
            payload = wxmsg.read_envelope(text)
            expected = wxmsg.signature(cfg["WECHAT_TOKEN"], timestamp, nonce, payload)
            if not wxmsg.signature_ok(expected, args.get("msg_signature")):
                raise Refused(403)
            try:
                text = crypto.decrypt(payload)  # its signature, checked just above
            except (InvalidAppIdException, ValueError, TypeError, IndexError,
                    KeyError, struct.error) as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
                raise wxmsg.BadMessage(f"cannot decrypt ({type(exc).__name__})") from None
        message = wxmsg.parse(text)
    except wxmsg.BadMessage as exc:
        raise Refused(400, f"refused a body: {exc}") from None
    return message, crypto, nonce, timestamp


def _answer(app, message, crypto, nonce: str, timestamp: str, started: float) -> tuple[str, str]:
    """The reply to a message that passed ``_read``: its body and mimetype."""
    policy = wxmsg.policy(message)
    incoming = wxmsg.to_incoming(message)
    if policy.action == wxevents.SILENT:
        notice(incoming, policy.effect, app)
        return "success", "text/plain"
    if policy.action == wxevents.REPLY and incoming.kind != "unsupported":
        incoming = replace(incoming, kind="unsupported", msg_type=incoming.event or incoming.msg_type)
    reply = app.extensions["parkbot.responder"].respond(incoming, wxmsg.message_key(message), started=started)
    xml = wxmsg.render(reply, message)
    if crypto is not None and xml != "success":
        xml = crypto.encrypt(xml, nonce, timestamp)
    return xml, ("application/xml" if xml != "success" else "text/plain")


@bp.post("/wechat")
def receive():
    started = time.time()  # the message's locks expire counted from here, however late Redis runs them
    app = current_app._get_current_object()  # each name below looked up once, not through the proxies
    try:
        read = _read(app.config, request.args, request.get_data(cache=False))
    except Refused as refused:
        if refused.reason:
            log.info("%s", refused.reason)
        abort(refused.code)
    xml, mimetype = _answer(app, *read, started)
    return Response(xml, mimetype=mimetype)


def notice(incoming, effect: str, app=None) -> None:
    """A silent event's bookkeeping (if any); WeChat gets ``success`` whatever happens here."""
    if not effect:
        return
    try:
        (app or current_app).extensions["parkbot.engine"].notice(incoming, effect)
    except Exception as exc:  # a lost location report or a missed erase must not fail the answer
        log.warning("platform event %s (%s) not recorded: %s", incoming.event, effect, type(exc).__name__)

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

import redis
from flask import Blueprint, Response, abort, current_app, request
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

from ..dialogue.replies import Reply
from ..knowledge.messages import declare
from ..store.dedup import AlreadyClaimed
from ..store.session import UserBusy
from ..takeover import mark_from_kf_event
from . import wxmsg

log = logging.getLogger(__name__)
bp = Blueprint("wechat", __name__)
declare("store_down", "unsupported", owner="wechat")


def _checked_query() -> tuple[str, str]:
    """Timestamp and nonce of a request whose signature and age are right; 403 otherwise."""
    args = request.args
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        abort(403)
    if age > current_app.config["TIMESTAMP_WINDOW"]:
        abort(403)
    expected = wxmsg.signature(current_app.config["WECHAT_TOKEN"], timestamp, nonce)
    if not wxmsg.signature_ok(expected, args.get("signature")):
        abort(403)
    return timestamp, nonce


def _crypto() -> WeChatCrypto | None:
    cfg = current_app.config
    if not cfg["WECHAT_ENCODING_AES_KEY"]:
        return None
    return _crypto_for(cfg["WECHAT_TOKEN"], cfg["WECHAT_ENCODING_AES_KEY"], cfg["WECHAT_APP_ID"])


@functools.lru_cache(maxsize=8)
def _crypto_for(token: str, aes_key: str, app_id: str) -> WeChatCrypto:
    return WeChatCrypto(token, aes_key, app_id)  # keeps no per-message state; decoding the key once is enough


@bp.get("/wechat")
def verify():
    _checked_query()
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat")
def receive():
    timestamp, nonce = _checked_query()
    try:
        body = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        abort(400)
    encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
    crypto = _crypto() if encrypted else None
    try:
        if encrypted:
            if crypto is None:
                abort(400)
            payload = wxmsg.read_envelope(body)
            expected = wxmsg.signature(current_app.config["WECHAT_TOKEN"], timestamp, nonce, payload)
            if not wxmsg.signature_ok(expected, request.args.get("msg_signature")):
                abort(403)
            try:
                body = crypto.decrypt_message({"Encrypt": payload}, request.args["msg_signature"], timestamp, nonce)
            except (InvalidSignatureException, InvalidAppIdException, ValueError, TypeError, IndexError,
                    KeyError, struct.error) as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
                raise wxmsg.BadMessage(f"cannot decrypt ({type(exc).__name__})") from None
        message = wxmsg.parse(body)
    except wxmsg.BadMessage as exc:
        log.info("refused a body: %s", exc)
        abort(400)

    if message.type == "event" and (getattr(message, "event", "") or "").lower() in KF_EVENTS:
        _mark_kf_session(message.source, message.event)
        return Response("success", mimetype="text/plain")
    reply = respond(wxmsg.to_incoming(message), wxmsg.message_key(message))
    xml = wxmsg.render(reply, message)
    if crypto is not None and xml != "success":
        xml = crypto.encrypt_message(xml, nonce, timestamp)
    return Response(xml, mimetype="application/xml" if xml != "success" else "text/plain")


KF_EVENTS = frozenset({"kf_create_session", "kf_close_session"})


def _mark_kf_session(openid: str, event: str) -> None:
    """WeChat's customer-service tools opened or closed a session: the user is taken over or released."""
    try:
        mark_from_kf_event(current_app.extensions["parkbot.desk"].takeovers, openid, event)
    except redis.RedisError as exc:
        log.warning("could not mark a customer-service session: %s", type(exc).__name__)


def respond(incoming, message_key: str | None = None) -> Reply | None:
    """The engine's reply, made once per WeChat message however often WeChat delivers it
    (``message_key``); without a key (the web chat) simply made. Whatever fails behind the
    engine, the user gets the hotline sentence, never an error."""
    ext = current_app.extensions
    cache, engine, holder = ext["parkbot.replies"], ext["parkbot.engine"], ext["parkbot.knowledge"]
    try:
        try:
            claim = cache.claim_for(incoming.openid, message_key) if message_key else None
            return engine.handle(incoming, claim)
        except AlreadyClaimed as repeat:
            stored = repeat.reply
            if stored is None:
                stored = cache.wait(incoming.openid, message_key, current_app.config["REPLY_WAIT"])
            # still being made: "success" tells WeChat to stop retrying; the first delivery answers
            return Reply.from_dict(stored) if stored else None
    except (redis.RedisError, UserBusy) as exc:
        log.warning("answering without the store: %s", type(exc).__name__)
    except Exception:
        log.exception("dialogue failed for one message")
    return Reply(text=holder.current().messages.render("store_down"))

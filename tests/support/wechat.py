"""Plays the WeChat platform against our endpoint: signed, optionally encrypted requests."""
from __future__ import annotations

import itertools
import time
import urllib.request
import uuid

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

TOKEN = "parkbot_test_token"
APP_ID = "wx5823bf96d3bd56c7"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
OFFICIAL = "gh_parkbot_test"

_ids = itertools.count(int(time.time() * 1000))


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _xml(openid: str, msg_type: str, body: str, created: int | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[{OFFICIAL}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
            f"{body}</xml>")


def text_xml(openid: str, content: str, msg_id: int | None = None, created: int | None = None) -> str:
    return _xml(openid, "text", f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or next(_ids)}</MsgId>",
                created)


def event_xml(openid: str, event: str, key: str = "", created: int | None = None) -> str:
    key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key else ""
    return _xml(openid, "event", f"<Event><![CDATA[{event}]]></Event>{key_xml}", created)


def voice_xml(openid: str, recognition: str) -> str:
    return _xml(openid, "voice", f"<MediaId><![CDATA[media1]]></MediaId><Format><![CDATA[amr]]></Format>"
                f"<Recognition><![CDATA[{recognition}]]></Recognition><MsgId>{next(_ids)}</MsgId>")


def location_xml(openid: str, lat: float, lng: float) -> str:
    return _xml(openid, "location", f"<Location_X>{lat}</Location_X><Location_Y>{lng}</Location_Y><Scale>15</Scale>"
                f"<Label><![CDATA[somewhere]]></Label><MsgId>{next(_ids)}</MsgId>")


def media_xml(openid: str, msg_type: str) -> str:
    return _xml(openid, msg_type, f"<PicUrl><![CDATA[http://example.com/a.jpg]]></PicUrl>"
                f"<MediaId><![CDATA[m]]></MediaId><MsgId>{next(_ids)}</MsgId>")


class Platform:
    """Sends what WeChat would send to ``/wechat`` through a Flask test client."""

    def __init__(self, client, token: str = TOKEN, aes_key: str | None = None, app_id: str = APP_ID):
        self.client = client
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    def query(self, timestamp: int | None = None, nonce: str | None = None) -> dict:
        timestamp = str(timestamp or int(time.time()))
        nonce = nonce or uuid.uuid4().hex[:10]
        return {"timestamp": timestamp, "nonce": nonce, "signature": sign(self.token, timestamp, nonce)}

    def post(self, xml: str | bytes, *, encrypt: bool = False, query: dict | None = None):
        query = dict(query or self.query())
        body = xml
        if encrypt:
            body = self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
            encrypted = xmltodict.parse(body)["xml"]["Encrypt"]
            query.update(encrypt_type="aes", msg_signature=sign(self.token, query["timestamp"], query["nonce"], encrypted))
        return self.client.post("/wechat", query_string=query, data=body, content_type="text/xml")

    def reply(self, response, encrypted: bool = False) -> dict:
        """The reply XML as a dict (decrypted when the request was encrypted)."""
        assert response.status_code == 200, response.data
        body = response.get_data(as_text=True)
        if body == "success":
            return {}
        if encrypted:
            outer = xmltodict.parse(body)["xml"]
            body = self.crypto.decrypt_message(body, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        return xmltodict.parse(body)["xml"]

    def say(self, openid: str, text: str, *, encrypt: bool = False, msg_id: int | None = None) -> str:
        """Send a text message; return the reply's text (or a news card's description)."""
        data = self.reply(self.post(text_xml(openid, text, msg_id), encrypt=encrypt), encrypted=encrypt)
        return reply_text(data)

    def event(self, openid: str, event: str, key: str = "") -> str:
        return reply_text(self.reply(self.post(event_xml(openid, event, key))))


def reply_text(data: dict) -> str:
    if not data:
        return ""
    if data.get("MsgType") == "news":
        item = data["Articles"]["item"]
        return f"{item.get('Title', '')}\n{item.get('Description', '')}"
    return data.get("Content") or ""


def post_signed(port: int, openid: str, text: str, *, token: str = TOKEN) -> str:
    """POST a plaintext-mode text message, signed with ``token``, to a live server's /wechat; the reply text."""
    ts, nonce = str(int(time.time())), f"n{time.monotonic_ns()}"
    url = f"http://127.0.0.1:{port}/wechat?signature={sign(token, ts, nonce)}&timestamp={ts}&nonce={nonce}"
    request = urllib.request.Request(url, data=text_xml(openid, text).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as resp:
        return xmltodict.parse(resp.read())["xml"]["Content"]

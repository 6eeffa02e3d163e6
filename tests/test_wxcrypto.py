"""The protocol layer's own safe-mode crypto and reply XML say on the wire exactly what wechatpy's would."""
from __future__ import annotations

import base64
import re
import struct
import time

import pytest
import xmltodict
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.replies import ArticlesReply, TextReply

from bot.dialogue.replies import Article, Reply
from bot.web.wxcrypto import SafeModeCrypto
from bot.web.wxmsg import TEXT_LIMIT, _cdata_safe, _clip, parse, render
from tests.support.wechat import AES_KEY, APP_ID, TOKEN, event_xml, sign, text_xml

CREATED = re.compile(r"<CreateTime>(\d+)</CreateTime>")


def _same_but_time(ours: str, theirs: str) -> None:
    assert CREATED.sub("", ours) == CREATED.sub("", theirs)
    assert abs(int(CREATED.search(ours).group(1)) - time.time()) < 5


@pytest.mark.parametrize("text", ["您好！请问有什么可以帮您？", "a]]><Evil>1</Evil><![CDATA[b", "园区" * 2000, "{x} {0}"])
def test_a_text_reply_is_wechatpys_to_the_byte(text):
    message = parse(text_xml("o-user", "你好"))
    theirs = TextReply(message=message, content=_cdata_safe(_clip(text, TEXT_LIMIT, "…"))).render()
    _same_but_time(render(Reply(text=text), message), theirs)


def test_an_article_reply_is_wechatpys_to_the_byte():
    message = parse(event_xml("o-user", "CLICK", "menu_intro"))
    article = Article(title="园区介绍]]>", description="高新区 {1}", url="https://example.com/a?b=1&c=2",
                      image="https://example.com/i.png")
    theirs = ArticlesReply(message=message)
    theirs.add_article({"title": _cdata_safe(article.title), "description": _cdata_safe(article.description),
                        "image": article.image, "url": article.url})
    _same_but_time(render(Reply(article=article), message), theirs.render())


def test_nothing_to_say_is_success():
    message = parse(text_xml("o-user", "你好"))
    assert render(None, message) == render(Reply(), message) == "success"


def test_our_envelope_opens_with_wechatpy_and_theirs_with_ours():
    ours, theirs = SafeModeCrypto(TOKEN, AES_KEY, APP_ID), WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    for xml in ["<xml><Content><![CDATA[你好]]></Content></xml>", "x" * 31, "x" * 32, ""]:
        sealed = ours.encrypt(xml, "nonce123", "1700000000")
        outer = xmltodict.parse(sealed)["xml"]
        # wechatpy checks the signature and the AppID as it opens it
        assert theirs.decrypt_message(sealed, outer["MsgSignature"], "1700000000", "nonce123") == xml
        assert outer["MsgSignature"] == sign(TOKEN, "1700000000", "nonce123", outer["Encrypt"])
        their_sealed = theirs.encrypt_message(xml, "nonce123", "1700000000")
        assert re.sub(r"CDATA\[[^]]*\]", "", sealed) == re.sub(r"CDATA\[[^]]*\]", "", their_sealed)
        assert ours.decrypt(xmltodict.parse(their_sealed)["xml"]["Encrypt"]) == xml


def _sealed(plain: bytes) -> str:
    key = base64.b64decode(AES_KEY + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def _padded(body: bytes) -> bytes:
    n = 32 - len(body) % 32
    return body + bytes((n,)) * n


def test_another_accounts_message_or_a_mangled_one_raises_what_wechatpy_raises():
    ours, theirs = SafeModeCrypto(TOKEN, AES_KEY, APP_ID), WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    xml = "<xml>hi</xml>".encode()
    cases = {
        "other account": _sealed(_padded(b"r" * 16 + struct.pack(">I", len(xml)) + xml + b"wxsomeoneelse")),
        "not base64 blocks": "abc",
        "empty": "",
        "short": _sealed(_padded(b"r" * 16)),
        "not utf-8": _sealed(_padded(b"r" * 16 + struct.pack(">I", 2) + b"\xff\xfe" + APP_ID.encode())),
    }
    for name, payload in cases.items():
        with pytest.raises(Exception) as mine:
            ours.decrypt(payload)
        with pytest.raises(Exception) as wechatpys:
            theirs.decrypt_message({"Encrypt": payload}, sign(TOKEN, "1", "n", payload), "1", "n")
        assert type(mine.value) is type(wechatpys.value), name
    with pytest.raises(InvalidAppIdException):
        ours.decrypt(cases["other account"])


def test_a_key_that_is_not_32_bytes_is_refused():
    with pytest.raises(ValueError):
        SafeModeCrypto(TOKEN, AES_KEY[:20], APP_ID)

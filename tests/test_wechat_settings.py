"""WECHAT_TIMESTAMP_WINDOW and WECHAT_API_BASE_URL; Tencent's own safe-mode sample decrypts."""
from __future__ import annotations

import time

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot import ConfigError, create_app
from bot.config import load
from tests.conftest import KNOWLEDGE, make_config
from tests.support.wechat import Platform, sign, text_xml

BASE = {"WECHAT_TOKEN": "tok_123", "KNOWLEDGE_DIR": str(KNOWLEDGE)}


@pytest.mark.parametrize("value", ["five minutes", "-1", "2.5", " "])
def test_a_bad_timestamp_window_names_the_variable(value):
    if not value.strip():  # blank means unset: the default
        assert load({**BASE}, environ={"WECHAT_TIMESTAMP_WINDOW": value})["WECHAT_TIMESTAMP_WINDOW"] == 300
        return
    with pytest.raises(ConfigError) as err:
        load({**BASE}, environ={"WECHAT_TIMESTAMP_WINDOW": value})
    message = str(err.value)
    assert message.startswith("WECHAT_TIMESTAMP_WINDOW") and value in message and "0 turns" in message


def test_timestamp_window_is_read_from_the_environment():
    assert load({**BASE}, environ={})["WECHAT_TIMESTAMP_WINDOW"] == 300
    assert load({**BASE}, environ={"WECHAT_TIMESTAMP_WINDOW": "0"})["WECHAT_TIMESTAMP_WINDOW"] == 0
    assert load({**BASE}, environ={"WECHAT_TIMESTAMP_WINDOW": "900"})["WECHAT_TIMESTAMP_WINDOW"] == 900


@pytest.mark.parametrize("value", ["api.weixin.qq.com", "ftp://proxy.example.com"])
def test_a_bad_api_base_url_names_the_variable(value):
    with pytest.raises(ConfigError) as err:
        load({**BASE}, environ={"WECHAT_API_BASE_URL": value})
    assert str(err.value).startswith("WECHAT_API_BASE_URL")


def test_api_base_url_defaults_to_tencent():
    assert load({**BASE}, environ={})["WECHAT_API_BASE_URL"] == "https://api.weixin.qq.com"
    assert load({**BASE}, environ={"WECHAT_API_BASE_URL": "http://127.0.0.1:9/"})["WECHAT_API_BASE_URL"] \
        == "http://127.0.0.1:9"


def _app(redis_url, data_dir, prefix, **extra):
    return create_app(make_config(redis_url, data_dir, prefix, **extra))


def test_a_wider_window_accepts_a_drifting_clock_and_a_narrow_one_refuses(redis_url, data_dir, prefix,
                                                                          redis_client, openid):
    old = int(time.time()) - 1000
    wide = Platform(_app(redis_url, data_dir, prefix, WECHAT_TIMESTAMP_WINDOW=1200).test_client())
    assert wide.post(text_xml(openid, "你好"), query=wide.query(timestamp=old)).status_code == 200
    narrow = Platform(_app(redis_url, data_dir, prefix, WECHAT_TIMESTAMP_WINDOW=10).test_client())
    assert narrow.post(text_xml(openid, "你好"), query=narrow.query(timestamp=int(time.time()) - 20)).status_code == 403
    assert narrow.post(text_xml(openid, "你好"), query=narrow.query(timestamp=int(time.time()) - 2)).status_code == 200


def test_window_zero_turns_the_check_off_but_not_the_signature(redis_url, data_dir, prefix, redis_client, openid):
    app = _app(redis_url, data_dir, prefix, WECHAT_TIMESTAMP_WINDOW=0)
    platform = Platform(app.test_client())
    assert platform.post(text_xml(openid, "你好"), query=platform.query(timestamp=1_000_000_000)).status_code == 200
    q = platform.query(timestamp=1_000_000_000)
    q["signature"] = "0" * 40
    assert platform.post(text_xml(openid, "你好"), query=q).status_code == 403


# Tencent's published 公众平台 safe-mode sample: the values of Sample.py shipped with
# WXBizMsgCrypt (消息加解密示例代码, "Copyright (c) 1998-2014 Tencent Inc."; reproduced e.g. in
# github.com/charlesXu86/Chatbot_CN, Chatbot_Web/impl/weixin/Sample.py, and in the README of
# github.com/fotock/WXbizMsgCrypt-Node): its token, EncodingAESKey, AppID, timestamp, nonce,
# msg_signature and Encrypt payload, unchanged.
SAMPLE_TOKEN = "spamtest"
SAMPLE_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APP_ID = "wx2c2769f8efd9abc2"
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9"
    "FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3y"
    "t+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v"
    "6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]>"
    "</FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]>"
    f"</Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt></xml>"
)


def test_tencents_sample_decrypts_with_its_own_token_key_and_app_id():
    crypto = WeChatCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APP_ID)
    inner = xmltodict.parse(crypto.decrypt_message(SAMPLE_BODY, SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP,
                                                   SAMPLE_NONCE))["xml"]
    assert inner["MsgType"] == "text" and inner["ToUserName"] and inner["FromUserName"]


def test_tencents_sample_is_answered_by_the_endpoint(redis_url, data_dir, prefix, redis_client):
    # the sample is from 2014: only an operator's WECHAT_TIMESTAMP_WINDOW=0 lets its timestamp through
    app = _app(redis_url, data_dir, prefix, WECHAT_TOKEN=SAMPLE_TOKEN, WECHAT_ENCODING_AES_KEY=SAMPLE_AES_KEY,
               WECHAT_APP_ID=SAMPLE_APP_ID, WECHAT_TIMESTAMP_WINDOW=0)
    query = {"timestamp": SAMPLE_TIMESTAMP, "nonce": SAMPLE_NONCE, "encrypt_type": "aes",
             "signature": sign(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE), "msg_signature": SAMPLE_MSG_SIGNATURE}
    resp = app.test_client().post("/wechat", query_string=query, data=SAMPLE_BODY, content_type="text/xml")
    assert resp.status_code == 200
    crypto = WeChatCrypto(SAMPLE_TOKEN, SAMPLE_AES_KEY, SAMPLE_APP_ID)
    outer = xmltodict.parse(resp.get_data(as_text=True))["xml"]
    reply = xmltodict.parse(crypto.decrypt_message(resp.get_data(as_text=True), outer["MsgSignature"],
                                                   outer["TimeStamp"], outer["Nonce"]))["xml"]
    inner = xmltodict.parse(crypto.decrypt_message(SAMPLE_BODY, SAMPLE_MSG_SIGNATURE, SAMPLE_TIMESTAMP,
                                                   SAMPLE_NONCE))["xml"]
    assert reply["MsgType"] == "text" and reply["ToUserName"] == inner["FromUserName"] and reply["Content"]
    # a tampered payload under the sample's signature is refused
    tampered = SAMPLE_BODY.replace("hyzAe4", "hyzAe5")
    resp = app.test_client().post("/wechat", query_string=query, data=tampered, content_type="text/xml")
    assert resp.status_code == 403

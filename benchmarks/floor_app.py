"""The floor: Flask + wechatpy doing only what any WeChat bot must do per message.

Signature check, decrypt, parse, a fixed text reply, encrypt. parkbot's throughput is
reported as a ratio to this app's, measured in the same run on the same machine.
"""
import os

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

TOKEN = os.environ["WECHAT_TOKEN"]
crypto = WeChatCrypto(TOKEN, os.environ["WECHAT_ENCODING_AES_KEY"], os.environ["WECHAT_APP_ID"])
app = Flask(__name__)


@app.post("/wechat")
def wechat():
    args = request.args
    check_signature(TOKEN, args["signature"], args["timestamp"], args["nonce"])
    xml = crypto.decrypt_message(request.get_data(), args["msg_signature"], args["timestamp"], args["nonce"])
    message = parse_message(xml)
    reply = TextReply(message=message, content="收到").render()
    return Response(crypto.encrypt_message(reply, args["nonce"], args["timestamp"]), mimetype="application/xml")

"""WeChat's safe mode: the message body encrypted with the account's EncodingAESKey.

The same scheme and the same bytes on the wire as ``wechatpy.crypto.WeChatCrypto`` (AES-256-CBC, the
IV the key's first 16 bytes, PKCS#7 padding to 32 bytes; 16 random characters, the length, the XML
and the AppID inside), with the cipher built once per key rather than twice per message, and the
request's signature checked once, by the caller. Errors are wechatpy's: ``InvalidAppIdException``
for another account's message, ``ValueError``, ``IndexError`` or ``struct.error`` for a mangled one.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.exceptions import InvalidAppIdException

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16

ENVELOPE = """<xml>
<Encrypt><![CDATA[{encrypt}]]></Encrypt>
<MsgSignature><![CDATA[{signature}]]></MsgSignature>
<TimeStamp>{timestamp}</TimeStamp>
<Nonce><![CDATA[{nonce}]]></Nonce>
</xml>"""


class SafeModeCrypto:
    def __init__(self, token: str, encoding_aes_key: str, app_id: str):
        key = base64.b64decode((encoding_aes_key + "=").encode())
        if len(key) != 32:
            raise ValueError("the EncodingAESKey is not 43 characters of base64")
        self.token, self.app_id = token, app_id
        self._app_id = app_id.encode()
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def decrypt(self, encrypt: str) -> str:
        """The XML inside an ``Encrypt`` payload whose signature the caller has checked."""
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(base64.b64decode(encrypt.encode())) + decryptor.finalize()
        content = plain[16:-plain[-1]]  # as wechatpy reads the padding: its last byte, unchecked
        length = struct.unpack(">I", content[:4])[0]
        xml = content[4:length + 4].decode()
        if content[length + 4:].decode() != self.app_id:
            raise InvalidAppIdException()
        return xml

    def encrypt(self, xml: str, nonce: str, timestamp: str | None = None) -> str:
        """The signed ``<Encrypt>`` envelope of a reply."""
        text = xml.encode()
        # 16 random letters and digits, as wechatpy sends (the receiver skips them)
        body = secrets.token_hex(8).encode() + struct.pack(">I", len(text)) + text + self._app_id
        padding = BLOCK - len(body) % BLOCK
        body += bytes((padding,)) * padding
        encryptor = self._cipher.encryptor()
        encrypt = base64.b64encode(encryptor.update(body) + encryptor.finalize()).decode()
        timestamp = timestamp or str(int(time.time()))
        signature = hashlib.sha1("".join(sorted((self.token, timestamp, nonce, encrypt))).encode()).hexdigest()
        return ENVELOPE.format(encrypt=encrypt, signature=signature, timestamp=timestamp, nonce=nonce)

"""Callback cryptography of the messaging platforms, exactly as each platform documents it.

WeCom, WeChat Official Account and DingTalk share one scheme (Tencent's ``WXBizMsgCrypt``,
which DingTalk copied as ``DingCallbackCrypto``): ``AESKey = base64(EncodingAESKey + "=")``
(32 bytes), AES-256-CBC with the first 16 key bytes as IV, PKCS#7 padding to a 32-byte block,
plaintext ``random(16) + len(msg) as 4-byte big-endian + msg + receive_id`` and the signature
``sha1(sorted(token, timestamp, nonce, encrypt) joined)``. The receive id (corp id, app id,
DingTalk app key or corp id) must match the account: a ciphertext of another account is
refused even when the key is shared.

Written here on ``cryptography`` rather than taken from wechatpy: wechatpy's last release is
from 2021 and it pulls in its own HTTP client and optional crypto backends; the scheme is 60
lines and the platforms' published sample values pin it down (see tests/test_crypto.py).

Feishu/Lark: ``key = sha256(encrypt_key)``, ``raw = base64(encrypt)``, IV = the first 16 bytes
of ``raw``, AES-256-CBC, PKCS#7 (16-byte block); the request signature is
``sha256(timestamp + nonce + encrypt_key + body)`` in hex (header ``X-Lark-Signature``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of two texts (any characters: a token may be non-ASCII)."""
    return hmac.compare_digest(given.encode(), expected.encode())


class CryptoError(Exception):
    """A signature that does not match, or a ciphertext that does not open."""


def _aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    if not data or len(data) % 16:
        raise CryptoError("the ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def _aes_cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def _unpad(data: bytes, block: int) -> bytes:
    pad = data[-1]
    if not 1 <= pad <= block or data[-pad:] != bytes([pad]) * pad:
        raise CryptoError("bad padding")
    return data[:-pad]


def _pad(data: bytes, block: int) -> bytes:
    pad = block - len(data) % block
    return data + bytes([pad]) * pad


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise CryptoError("not base64") from exc


class WXBizMsgCrypt:
    """WeCom / WeChat Official Account / DingTalk callback crypto (see the module doc)."""

    BLOCK = 32

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if len(encoding_aes_key) != 43:
            raise CryptoError("the EncodingAESKey has 43 characters")
        try:
            self.key = base64.b64decode(encoding_aes_key + "=")
        except binascii.Error as exc:
            raise CryptoError("the EncodingAESKey is not base64") from exc
        self.token = token
        self.receive_id = receive_id

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        joined = "".join(sorted([self.token, timestamp, nonce, encrypt]))
        return hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 - the platforms' scheme

    def verify(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = self.signature(timestamp, nonce, encrypt)
        if not same(signature.lower(), expected):
            raise CryptoError("the signature does not match")

    def decrypt(self, encrypt: str) -> bytes:
        plain = _unpad(_aes_cbc_decrypt(self.key, self.key[:16], _b64decode(encrypt)), self.BLOCK)
        if len(plain) < 20:
            raise CryptoError("the plaintext is too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length:
            raise CryptoError("the message length does not match")
        if self.receive_id and receive_id.decode(errors="replace") != self.receive_id:
            raise CryptoError("the ciphertext is for another receiver")
        return message

    def verify_and_decrypt(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> bytes:
        self.verify(signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def encrypt(self, message: bytes, *, random_prefix: bytes | None = None) -> str:
        prefix = random_prefix if random_prefix is not None else os.urandom(16)
        plain = prefix + struct.pack(">I", len(message)) + message + self.receive_id.encode()
        data = _aes_cbc_encrypt(self.key, self.key[:16], _pad(plain, self.BLOCK))
        return base64.b64encode(data).decode("ascii")


def plain_signature(token: str, timestamp: str, nonce: str) -> str:
    """The WeChat Official Account's signature of plain mode and of URL verification."""
    joined = "".join(sorted([token, timestamp, nonce]))
    return hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324 - the platform's scheme


def feishu_decrypt(encrypt_key: str, encrypt: str) -> bytes:
    key = hashlib.sha256(encrypt_key.encode()).digest()
    raw = _b64decode(encrypt)
    if len(raw) < 32:
        raise CryptoError("the ciphertext is too short")
    return _unpad(_aes_cbc_decrypt(key, raw[:16], raw[16:]), 16)


def feishu_encrypt(encrypt_key: str, plain: bytes) -> str:
    key = hashlib.sha256(encrypt_key.encode()).digest()
    iv = os.urandom(16)
    return base64.b64encode(iv + _aes_cbc_encrypt(key, iv, _pad(plain, 16))).decode("ascii")


def feishu_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def dingtalk_robot_sign(timestamp: str, app_secret: str) -> str:
    """DingTalk robot callbacks: ``base64(HmacSHA256(timestamp + "\\n" + appSecret))``."""
    digest = hmac.new(
        app_secret.encode(), f"{timestamp}\n{app_secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")

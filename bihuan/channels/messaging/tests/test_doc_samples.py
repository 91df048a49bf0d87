"""Each platform's verification and decryption against the sample values published by the
platform itself, so that the code is checked against the platform and not only against
itself. Every value below was copied from the source cited above it."""

from __future__ import annotations

import pytest

from bihuan.channels.messaging.crypto import (
    CryptoError,
    WXBizMsgCrypt,
    feishu_decrypt,
)

# WeCom: the Python callback sample that the WeCom document "加解密方案说明"
# (https://developer.work.weixin.qq.com/document/path/90968, 使用已有库 → 下载地址) links to,
# https://github.com/sbzhu/weworkapi_python/blob/master/callback/Sample.py
WECOM_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
WECOM_AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
WECOM_CORP_ID = "ww1436e0e65a779aee"
WECOM_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAg"
    "GzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9"
    "U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qA"
    "RR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL"
    "6aSDPOYuPDGOCI8jmnKiypE+"
)


def test_wecom_url_verification_matches_the_documented_sample() -> None:
    crypt = WXBizMsgCrypt(WECOM_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID)

    echo = crypt.verify_and_decrypt(
        "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",  # sVerifyMsgSig
        "1476416373",  # sVerifyTimeStamp
        "47744683",  # sVerifyNonce
        "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
    )

    assert echo == b"1288432023552776189"


def test_wecom_message_decryption_matches_the_documented_sample() -> None:
    crypt = WXBizMsgCrypt(WECOM_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID)

    plain = crypt.verify_and_decrypt(
        "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",  # sReqMsgSig
        "1476422779",  # sReqTimeStamp
        "1597212914",  # sReqNonce
        WECOM_ENCRYPT,  # the <Encrypt> of sReqData
    )

    assert plain.decode() == (
        "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
        "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
        "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
    )


def test_wecom_sample_is_refused_with_another_signature_or_receiver() -> None:
    with pytest.raises(CryptoError):
        WXBizMsgCrypt(WECOM_TOKEN, WECOM_AES_KEY, WECOM_CORP_ID).verify_and_decrypt(
            "0c3914025cb4b4d68103f6bfc8db550f79dcf48f", "1476422779", "1597212914", WECOM_ENCRYPT
        )
    with pytest.raises(CryptoError, match="another receiver"):
        WXBizMsgCrypt(WECOM_TOKEN, WECOM_AES_KEY, "ww0000000000000000").decrypt(WECOM_ENCRYPT)


# WeChat Official Account: the sample of Tencent's WXBizMsgCrypt library for the Official
# Accounts Platform (公众平台 消息加解密说明 → 示例代码, Sample.cs: "公众平台上开发者设置的token,
# appID, EncodingAESKey"), https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
# The values were checked in copies of that Sample.cs in public repositories (the original
# download is a zip) and are also the worked example (举例说明: corpId "wx5823bf96d3bd56c7",
# token "QDG6eK", msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813
# &nonce=1372623149) of WeCom's https://developer.work.weixin.qq.com/document/path/90968.
OA_TOKEN = "QDG6eK"
OA_APP_ID = "wx5823bf96d3bd56c7"
OA_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
OA_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCU"
    "pj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgp"
    "ue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCK"
    "Iw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o"
    "0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2p"
    "DBS8R07+qN+E7Q=="
)


def test_official_account_decryption_matches_the_documented_sample() -> None:
    crypt = WXBizMsgCrypt(OA_TOKEN, OA_AES_KEY, OA_APP_ID)

    plain = crypt.verify_and_decrypt(
        "477715d11cdb4164915debcba66cb864d751f3e6",  # sReqMsgSig
        "1409659813",  # sReqTimeStamp
        "1372623149",  # sReqNonce
        OA_ENCRYPT,
    )

    assert plain.decode() == (
        "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n"
        "<FromUserName><![CDATA[mycreate]]></FromUserName>\n"
        "<CreateTime>1409659813</CreateTime>\n"
        "<MsgType><![CDATA[text]]></MsgType>\n"
        "<Content><![CDATA[hello]]></Content>\n"
        "<MsgId>4561255354251345929</MsgId>\n"
        "<AgentID>218</AgentID>\n"
        "</xml>"
    )


def test_encryption_round_trips_with_the_documented_key() -> None:
    crypt = WXBizMsgCrypt(OA_TOKEN, OA_AES_KEY, OA_APP_ID)
    message = "<xml><Content><![CDATA[消息长度按字节算]]></Content></xml>".encode()

    encrypted = crypt.encrypt(message)

    assert crypt.decrypt(encrypted) == message


# Feishu/Lark: the Encrypt Key sample of 事件订阅 → 配置 Encrypt Key (解密示例: encrypt_key
# "test key", encrypt "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=" → "hello world"),
# https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
def test_feishu_decryption_matches_the_documented_sample() -> None:
    assert feishu_decrypt("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=") == (
        b"hello world"
    )
    with pytest.raises(CryptoError):
        feishu_decrypt("other key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=")


# DingTalk: the callback crypto sample of DingTalk's official library, linked from the
# document 事件订阅 → 加解密 (https://open.dingtalk.com/document/orgapp/configure-event-subcription),
# https://github.com/open-dingtalk/DingTalk-Callback-Crypto/blob/main/DingCallbackCrypto3.py
# (token "mryue", aes_key "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7", key
# "ding6ccabc44d2c8d38b", getDecryptMsg(signature, timestamp, nonce, encrypt)).
def test_dingtalk_callback_decryption_matches_the_documented_sample() -> None:
    crypt = WXBizMsgCrypt(
        "mryue", "Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7", "ding6ccabc44d2c8d38b"
    )

    plain = crypt.verify_and_decrypt(
        "03044561471240d4a14bb09372dfcfd4fd0e40cb",
        "1608001896814",
        "WL4PK6yA",
        "0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDC"
        "YxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3",
    )

    assert plain == b'{"EventType":"check_url"}'

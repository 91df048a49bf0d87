"""Parsing real-world-shaped mail from the corpus: charsets, encoded words, quoting, files."""

from __future__ import annotations

import pytest

from bihuan.channels.email.charsets import decode_bytes, decode_header_value
from bihuan.channels.email.html import html_to_text, sanitize_html
from bihuan.channels.email.message_ids import make_message_id, ticket_of_message_id
from bihuan.channels.email.parsing import parse_email
from bihuan.channels.email.quoting import fold_quoted
from bihuan.channels.tests.mail import build_mail, corpus

# file → (subject, sender address, sender name, the new text exactly)
CORPUS_TEXTS = {
    "gmail_zh_new.eml": (
        "空气净化器开机报E3错误",
        "wangfang.sh@gmail.com",
        "王芳",
        "你好，\n\n我在贵店买的空气净化器（订单号 DD20261118001）开机后一直报 E3 错误，"
        "请问怎么处理？\n\n谢谢\n王芳",
    ),
    "foxmail_gbk_as_gb2312.eml": (
        "回复：退款进度 [#1042]",
        "liming@foxmail.com",
        "李明",
        "您好，退款已经收到了，谢谢刘堃和朱镕的帮忙。",
    ),
    "qq_gb18030_reply.eml": (
        "回复：上门维修时间",
        "1234567@qq.com",
        "赵磊",
        "收到，我明天上午在家，麻烦安排师傅上门。",
    ),
    "netease_163_reply.eml": (
        "Re:关于您的物流问题",
        "chenjing_88@163.com",
        "陈静",
        "快递单号是 SF1234567890123，物流三天没更新了。",
    ),
    "outlook_html_only_cp1252.eml": (
        "RE: Your invoice",
        "jose.mueller@contoso.example",
        "José Müller",
        "Hello team,\n\nThe invoice for order 7731 shows € 49.90 but I paid € 39.90 – please "
        "correct it.\n\nRegards,\nJosé Müller",
    ),
    "apple_mail_en_reply.eml": (
        "Re: Replacement unit",
        "emily.chen@icloud.com",
        "Emily Chen",
        "Thanks, the replacement arrived today and works fine.",
    ),
    "big5_taiwan.eml": (
        "詢問運費",
        "zhiming.lin@example.com.tw",
        "林志明",
        "請問這個產品可以寄到台北嗎？運費怎麼算㗎？",
    ),
    "iso2022jp.eml": (
        "商品が届きません",
        "taro.yamada@example.co.jp",
        "山田太郎",
        "お世話になっております。\n注文した商品がまだ届いていません。確認をお願いします。\n\n山田太郎",
    ),
    "shift_jis_cp932.eml": (
        "サイズについて",
        "hanako.sato@example.jp",
        "佐藤花子",
        "①の商品について質問があります。サイズは２０～３０ｃｍですか？",
    ),
    "lying_charset_gbk_is_utf8.eml": (
        "发票抬头错误",
        "zhouting@example.cn",
        "周婷",
        "发票抬头写错了，应该是“上海闭环信息科技有限公司”，请重开。",
    ),
    "raw_8bit_gbk_headers.eml": (
        "投诉：电话打不通",
        "sunqiang@example.cn",
        "孙强",
        "你们的客服电话一直打不通，我要投诉！",
    ),
    "no_message_id.eml": (
        "会员积分没到账",
        "qianjin@example.cn",
        "钱进",
        "上周消费的积分还没有到账。",
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS_TEXTS))
def test_corpus_mail_decodes_subject_sender_and_folds_quoted_history(name: str) -> None:
    subject, address, sender_name, new_text = CORPUS_TEXTS[name]

    parsed = parse_email(corpus(name))

    assert parsed.subject == subject
    assert parsed.sender.address == address
    assert parsed.sender.name == sender_name
    assert parsed.sender.is_verified is True
    assert parsed.new_text.replace("\r\n", "\n") == new_text
    assert parsed.auto_reason == ""
    assert parsed.bounce is None


def test_folded_history_stays_in_the_full_text() -> None:
    parsed = parse_email(corpus("foxmail_gbk_as_gb2312.eml"))

    assert "------------------ 原始邮件 ------------------" in parsed.text
    assert "李先生您好，退款已提交，预计1-3个工作日到账。" in parsed.text


def test_rfc2231_and_encoded_word_filenames_and_inline_image_are_attachments() -> None:
    parsed = parse_email(corpus("attachments_rfc2231_inline_image.eml"))

    assert [
        (a.filename, a.content_type, a.is_inline, a.content_id) for a in parsed.attachments
    ] == [
        ("image.png", "image/png", True, "shot01@local"),
        ("发票 2026-11.pdf", "application/pdf", False, ""),
        ("对账单.xls", "application/vnd.ms-excel", False, ""),
    ]
    assert parsed.attachments[1].data.startswith(b"%PDF-1.4")
    assert parsed.new_text == "发票和截图见附件。"


def test_uuencoded_file_in_the_body_becomes_an_attachment() -> None:
    parsed = parse_email(corpus("uuencode_inline.eml"))

    assert [(a.filename, a.data) for a in parsed.attachments] == [
        ("order.txt", b"order 7731 qty 2\n")
    ]
    assert parsed.new_text == "Please see the order list below."


def test_winmail_dat_is_unpacked_and_a_forwarded_message_kept_as_an_attachment() -> None:
    tnef = parse_email(corpus("outlook_winmail_dat.eml"))
    forwarded = parse_email(corpus("forwarded_rfc822.eml"))

    assert [(a.filename, a.content_type, a.data) for a in tnef.attachments] == [
        ("contract-draft.txt", "text/plain", "Contract draft v2\n合同草案第二版\n".encode()),
        ("价格表.csv", "text/csv", "product,price\n净化器,1999\n".encode()),
    ]
    assert [(a.filename, a.content_type) for a in forwarded.attachments] == [
        ("Wholesale prices.eml", "message/rfc822")
    ]
    assert b"Our wholesale price list for 2027." in forwarded.attachments[0].data


def test_malformed_encoded_words_still_give_a_subject() -> None:
    parsed = parse_email(corpus("malformed_encoded_words.eml"))

    assert parsed.subject.startswith("产品质量问题")
    assert parsed.new_text == "产品质量有问题，屏幕有坏点。"


def test_broken_multipart_is_parsed_without_losing_the_message() -> None:
    parsed = parse_email(corpus("broken_multipart.eml"))

    assert parsed.subject == "broken multipart"
    assert parsed.new_text.startswith("我的订单")
    assert parsed.message_id == "<broken-multipart-0001@example.net>"


def test_crafted_from_header_marks_the_sender_unverified() -> None:
    parsed = parse_email(corpus("crafted_from.eml"))

    assert parsed.sender.is_verified is False
    assert "invalid address" in parsed.sender.problem


@pytest.mark.parametrize(
    "header",
    [
        "alice@example.org <bob@evil.example>",
        "a@b@c.example",
        "<alice@example.org>, <bob@example.org>",
        "Alice <alice@example.org",
        "undisclosed-recipients:;",
    ],
)
def test_ambiguous_from_headers_are_never_verified(header: str) -> None:
    raw = b"From: " + header.encode() + b"\r\nSubject: x\r\n\r\nbody\r\n"

    parsed = parse_email(raw)

    assert parsed.sender.is_verified is False


def test_display_name_that_looks_like_an_address_is_not_the_sender() -> None:
    parsed = parse_email(build_mail(sender='"vip@example.org" <attacker@evil.example>'))

    assert parsed.sender.address == "attacker@evil.example"
    assert parsed.sender.is_verified is True


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply_outlook_zh.eml", "Auto-Submitted: auto-replied"),
        ("auto_reply_out_of_office.eml", "x-autoreply"),
    ],
)
def test_auto_replies_are_recognised(name: str, reason: str) -> None:
    parsed = parse_email(corpus(name))

    assert parsed.auto_reason == reason
    assert parsed.bounce is None


def test_dsn_bounce_reports_the_original_message_and_diagnostic() -> None:
    raw = corpus("bounce_postfix_dsn.eml").replace(b"{OUTBOUND_ID}", b"<ours-0001@shop.example.cn>")

    parsed = parse_email(raw)

    assert parsed.bounce is not None
    assert parsed.bounce.original_message_ids == ("<ours-0001@shop.example.cn>",)
    assert parsed.bounce.recipient == "nobody@example.invalid"
    assert parsed.bounce.diagnostic.startswith("X-Postfix; Host or domain name not found.")


def test_chinese_plain_text_bounce_from_postmaster_is_a_bounce() -> None:
    parsed = parse_email(corpus("bounce_qq_zh.eml"))

    assert parsed.bounce is not None
    assert "<no-such-outbound-0001@shop.example.cn>" in parsed.bounce.original_message_ids


def test_message_without_message_id_is_keyed_by_content_digest() -> None:
    first = parse_email(corpus("no_message_id.eml"))
    again = parse_email(b"Received: from relay2\r\n" + corpus("no_message_id.eml"))

    assert first.dedupe_key.startswith("sha256:")
    assert first.dedupe_key == again.dedupe_key


def test_references_are_tried_most_recent_first() -> None:
    parsed = parse_email(
        build_mail(in_reply_to="<c@x>", references="<a@x> <b@x> <c@x>", message_id="<d@x>")
    )

    assert parsed.thread_ids == ["<c@x>", "<b@x>", "<a@x>"]


def test_not_an_email_raises_so_it_is_quarantined() -> None:
    with pytest.raises(ValueError, match="no headers"):
        parse_email(corpus("not_an_email.eml"))


def test_sanitised_html_has_no_script_handler_or_remote_image() -> None:
    html = (
        '<p onclick="x()">Hi<script>alert(1)</script></p><img src="https://t.example/p.gif">'
        '<img src="cid:logo@x"><a href="javascript:alert(1)">a</a><style>p{}</style>'
    )

    clean = sanitize_html(html, inline_images={"<logo@x>": "/mail/attachments/7/"})

    assert clean == (
        '<p>Hi</p><img data-remote-src="https://t.example/p.gif">'
        '<img src="/mail/attachments/7/"><a rel="noopener noreferrer nofollow">a</a>'
    )


def test_html_to_text_keeps_paragraphs() -> None:
    assert html_to_text("<p>第一段</p><p>第二段<br>换行</p><script>x</script>") == (
        "第一段\n\n第二段\n换行"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("好的\n\n-----原始邮件-----\n发件人: a\n", "好的"),
        ("OK\n\nOn Sun, 22 Nov 2026 at 10:00, Support <s@x>\nwrote:\n> old\n", "OK"),
        ("收到\n\n发件人: 闭环客服\n发送时间: 2026年11月21日\n收件人: 我\n", "收到"),
        ("Thanks\n________________________________\nFrom: Support\nSent: Friday\n", "Thanks"),
        ("谢谢\n\n发自我的iPhone\n", "谢谢"),
        ("谢谢\n-- \n张三 | 闭环科技\n", "谢谢"),
        ("bottom\n> quoted\n> more\n", "bottom"),
        ("-----原始邮件-----\n全部是引用\n", "-----原始邮件-----\n全部是引用"),
    ],
)
def test_fold_quoted_keeps_only_the_new_text(text: str, expected: str) -> None:
    assert fold_quoted(text) == expected


def test_declared_charset_is_widened_and_a_lie_is_detected() -> None:
    assert decode_bytes("镕".encode("gbk"), "gb2312") == ("镕", "gb18030")
    assert decode_bytes("镕".encode(), "gb2312") == ("镕", "utf-8")
    assert decode_header_value("=?gb2312?B?" + "1uzpRg==" + "?=") == "朱镕"


def test_our_message_ids_are_signed_and_a_forged_one_is_refused() -> None:
    message_id = make_message_id(42)
    forged = message_id.replace("bihuan.42.", "bihuan.43.")

    assert ticket_of_message_id(message_id) == 42
    assert ticket_of_message_id(forged) is None
    assert ticket_of_message_id("<bihuan.42.00.000@x>") is None


def test_a_damaged_winmail_dat_is_kept_as_it_came() -> None:
    raw = build_mail(attachments=[("winmail.dat", b"\x78\x9f\x3e\x22 not really TNEF")])

    parsed = parse_email(raw)

    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]

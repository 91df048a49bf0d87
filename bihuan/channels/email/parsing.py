"""Parsing one RFC 822 message into what the ticket services need.

The message is read with ``email.policy.default`` (the header registry), never with
``email.utils.parseaddr``, which mis-parses crafted addresses on this Python. Parsing never
decides anything about tickets; it only says what the message claims, and how far to trust it.
Anything it cannot cope with raises, and the caller quarantines the raw bytes.
"""

from __future__ import annotations

import binascii
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import policy
from email.errors import UndecodableBytesDefect
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import cast

from tnefparse import TNEF

from bihuan.channels.email.charsets import decode_bytes, decode_header_value
from bihuan.channels.email.html import html_to_text
from bihuan.channels.email.quoting import fold_quoted
from bihuan.core.bidi import neutralise_bidi

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,900}>")
_DAEMON = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|noreply-[\w.-]+|bounces?(\+.*)?|"
    r"mail-?daemon|daemon|系统退信)$",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(自动回复|自动答复|自動回覆|自動回復|Auto(matic)?[ -]?(reply|response|答复)|"
    r"Out of (the )?office|Autoreply|AutoResponse|不在办公室|休假中|假期自动回复)",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"(Undeliver(ed|able)|Delivery Status Notification \(Failure\)|Mail delivery failed|"
    r"Returned mail|Delivery failure|退信|系统退信|邮件投递失败|无法投递|投递失败)",
    re.I,
)
_UNSAFE = re.compile("[\ud800-\udfff\x00]")
_UUENCODE = re.compile(
    r"^begin [0-7]{3,4} (?P<name>[^\r\n]+)\r?\n(?P<body>.*?)^end\s*$", re.M | re.S
)


def _is_cosmetic(defect: Exception) -> bool:
    """A From defect that concerns only how the display name was encoded, not the address.

    Foxmail and QQ Mail put encoded words inside quoted names (``"=?gb2312?B?…?=" <a@qq.com>``);
    that is wrong but harmless, and common enough that holding it would hold most Chinese mail.
    """
    return isinstance(defect, UndecodableBytesDefect) or "encoded word" in str(defect).replace(
        "-", " "
    )


@dataclass(frozen=True)
class Sender:
    """Who the From header says sent the message, and whether that can be relied on."""

    address: str = ""
    name: str = ""
    is_verified: bool = False
    problem: str = ""  # why it is not verified


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    is_inline: bool = False


@dataclass(frozen=True)
class Bounce:
    """What a delivery status notification says about one of our messages."""

    original_message_ids: tuple[str, ...]  # candidates; only our own signed ids are believed
    recipient: str
    diagnostic: str


@dataclass
class ParsedEmail:
    """One message as the channel understands it."""

    digest: str
    message_id: str
    subject: str
    sender: Sender
    recipients: list[str]
    date: datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    new_text: str
    html: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reason: str = ""  # why this is an automatic message ("" for a person's)
    is_bulk: bool = False
    bounce: Bounce | None = None
    defects: list[str] = field(default_factory=list)

    @property
    def dedupe_key(self) -> str:
        """One key per message: its Message-ID or, without one, a digest of its content."""
        if self.message_id:
            if len(self.message_id) <= 250:
                return self.message_id
            return "#" + hashlib.sha256(self.message_id.encode()).hexdigest()
        return "sha256:" + self.digest

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, most recent first."""
        seen: list[str] = []
        for message_id in [*self.in_reply_to, *reversed(self.references)]:
            if message_id not in seen and message_id != self.message_id:
                seen.append(message_id)
        return seen


def message_id_key(message_id: str) -> str:
    """The dedupe key of a Message-ID (as ``ParsedEmail.dedupe_key`` computes it)."""
    return (
        message_id
        if len(message_id) <= 250
        else "#" + hashlib.sha256(message_id.encode()).hexdigest()
    )


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse ``raw``; raises on a message that cannot be understood (the caller quarantines)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not message.keys():
        raise ValueError("no headers: not an RFC 822 message")
    body_charset = _first_charset(message)
    headers = {name.lower(): value for name, value in reversed(list(message.raw_items()))}
    collector = _Collector()
    collector.visit(message)
    text = "\n\n".join(t for t in collector.texts if t.strip())
    html = "\n".join(collector.htmls)
    if not text.strip() and html:
        text = html_to_text(html)
    subject = decode_header_value(str(headers.get("subject", "")), fallback=body_charset)
    auto_reason = _auto_reason(message, headers, subject)
    sender = _sender(message, body_charset)
    bounce = collector.bounce
    if bounce is None and _is_bounce(message, sender, subject):
        embedded = [a.data.decode("utf-8", "replace") for a in collector.attachments]
        bounce = Bounce(
            original_message_ids=tuple(
                _MESSAGE_ID.findall("\n".join([text, *embedded, *collector.bounced_ids]))
            ),
            recipient="",
            diagnostic=text[:500],
        )
    return ParsedEmail(
        digest=_content_digest(raw, headers),
        message_id=_safe(_first_id(_MESSAGE_ID.findall(str(headers.get("message-id", ""))))),
        subject=_safe(subject),
        sender=Sender(
            address=_safe(sender.address),
            name=_safe(sender.name),
            is_verified=sender.is_verified,
            problem=_safe(sender.problem),
        ),
        recipients=[_safe(r) for r in _recipients(message)],
        date=_date(message),
        in_reply_to=[_safe(i) for i in _MESSAGE_ID.findall(str(headers.get("in-reply-to", "")))],
        references=[_safe(i) for i in _MESSAGE_ID.findall(str(headers.get("references", "")))],
        text=_safe(text),
        new_text=_safe(fold_quoted(text)) if text else "",
        html=_safe(html),
        attachments=[
            replace(a, filename=_safe(a.filename), content_id=_safe(a.content_id))
            for a in collector.attachments
        ],
        auto_reason=auto_reason,
        is_bulk=str(headers.get("precedence", "")).strip().lower() in {"bulk", "list", "junk"}
        or "list-id" in headers,
        bounce=None
        if bounce is None
        else Bounce(
            original_message_ids=tuple(_safe(i) for i in bounce.original_message_ids),
            recipient=_safe(bounce.recipient),
            diagnostic=_safe(bounce.diagnostic),
        ),
        defects=[type(d).__name__ for d in message.defects],
    )


def _safe(text: str) -> str:
    """Text every database stores: raw 8-bit left in a header (surrogate escapes) becomes
    U+FFFD, and NUL, which PostgreSQL refuses in text, is dropped."""
    return _UNSAFE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


class _Collector:
    """Walks the MIME tree: body texts, HTML, attachments and what a bounce reports."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.bounce: Bounce | None = None
        self.bounced_ids: list[str] = []
        self._status_fields: dict[str, str] = {}

    def visit(self, part: Message, *, in_alternative: bool = False) -> None:
        content_type = part.get_content_type()
        if content_type == "multipart/report":
            self._visit_report(part)
            return
        if part.is_multipart() and not content_type.startswith("message/"):
            subparts: list[Message] = list(cast(EmailMessage, part).iter_parts())
            if content_type == "multipart/alternative":
                self._visit_alternative(subparts)
            else:
                for sub in subparts:
                    self.visit(sub)
            return
        if content_type.startswith("message/"):
            self.attachments.append(_attachment_of_message(part))
            return
        disposition = part.get_content_disposition()
        filename = _filename(part)
        if disposition != "attachment" and not filename:
            if content_type == "text/plain":
                self.texts.append(self._extract_uuencoded(_text_of(part)))
                return
            if content_type == "text/html":
                self.htmls.append(_text_of(part))
                return
        data = _payload(part)
        if content_type == "application/ms-tnef" or filename.lower() == "winmail.dat":
            unpacked = _unpack_tnef(data)
            if unpacked:
                self.attachments += unpacked
                return
        self.attachments.append(
            ParsedAttachment(
                filename=filename or _default_name(content_type),
                content_type=content_type,
                data=data,
                content_id=str(part.get("content-id", "")).strip().strip("<>")[:250],
                is_inline=disposition == "inline",
            )
        )

    def _visit_alternative(self, subparts: list[Message]) -> None:
        plain = [p for p in subparts if p.get_content_type() == "text/plain"]
        html = [p for p in subparts if p.get_content_type() == "text/html"]
        nested = [p for p in subparts if p.is_multipart()]
        if plain:
            self.texts.append(self._extract_uuencoded(_text_of(plain[0])))
        if html:
            self.htmls.append(_text_of(html[0]))
        for sub in nested:  # multipart/related inside alternative (HTML with inline images)
            self.visit(sub)

    def _visit_report(self, part: Message) -> None:
        for sub in cast(EmailMessage, part).iter_parts():
            content_type = sub.get_content_type()
            if content_type == "message/delivery-status":
                self._read_status(sub)
            elif content_type in {"message/rfc822", "text/rfc822-headers"}:
                self.bounced_ids += _MESSAGE_ID.findall(_original_headers(sub))
            else:
                self.visit(sub)
        if self._status_fields or self.bounced_ids:
            self.bounce = Bounce(
                original_message_ids=tuple(self.bounced_ids),
                recipient=self._status_fields.get("final-recipient", "").split(";")[-1].strip(),
                diagnostic=(
                    self._status_fields.get("diagnostic-code")
                    or self._status_fields.get("status", "")
                )[:500],
            )

    def _read_status(self, part: Message) -> None:
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        text = "\n".join(str(b) for b in blocks) if blocks else _text_of(part)
        for line in text.splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip().lower() not in self._status_fields:
                self._status_fields[name.strip().lower()] = value.strip()

    def _extract_uuencoded(self, text: str) -> str:
        """Old clients paste files into the body with uuencode: keep them as attachments."""
        for match in list(_UUENCODE.finditer(text)):
            data = bytearray()
            try:
                for line in match.group("body").splitlines():
                    if line.strip() and line.strip() != "`":
                        data += binascii.a2b_uu(line)
            except binascii.Error:
                continue  # not really uuencode: leave the text as it is
            self.attachments.append(
                ParsedAttachment(
                    filename=_safe_filename(match.group("name")),
                    content_type="application/octet-stream",
                    data=bytes(data),
                )
            )
            text = text.replace(match.group(0), "")
        return text


def _unpack_tnef(data: bytes) -> list[ParsedAttachment]:
    """The files inside Outlook's winmail.dat; [] when it holds none or cannot be read (then
    winmail.dat itself is kept as the attachment)."""
    try:
        tnef = TNEF(data, do_checksum=False)
        files = [(a.long_filename() or a.name, a.data) for a in tnef.attachments if a.data]
    except Exception:  # a damaged or unusual TNEF: keeping winmail.dat loses nothing
        return []
    unpacked = []
    for name, content in files:
        filename = _safe_filename(name if isinstance(name, str) else decode_bytes(name)[0])
        unpacked.append(
            ParsedAttachment(
                filename=filename,
                content_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
                data=bytes(content),
            )
        )
    return unpacked


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _text_of(part: Message) -> str:
    return decode_bytes(_payload(part), part.get_content_charset())[0]


def _attachment_of_message(part: Message) -> ParsedAttachment:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    data = inner.as_bytes(policy=policy.compat32) if isinstance(inner, Message) else _payload(part)
    subject = ""
    if isinstance(inner, Message):
        subject = decode_header_value(str(inner.get("subject", "")))
    return ParsedAttachment(
        filename=_safe_filename(f"{subject or 'message'}.eml"),
        content_type="message/rfc822",
        data=data,
    )


def _original_headers(part: Message) -> str:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return str(payload[0].get("message-id", ""))
    return _text_of(part)


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a malformed RFC 2231 parameter: fall back to the raw parameter
        name = str(part.get_param("name", "") or "")
    if not name:
        return ""
    if "=?" in name or any("\udc80" <= ch <= "\udcff" for ch in name):
        name = decode_header_value(name, fallback=part.get_content_charset())
    return _safe_filename(name)


def _safe_filename(name: str) -> str:
    # Direction controls would make "invoice\u202efdp.exe" display as "invoiceexe.pdf".
    name = neutralise_bidi(name).replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f<>:\"|?*]", "_", name).strip(" .")
    return name[:200] or "attachment"


def _default_name(content_type: str) -> str:
    main, _sep, sub = content_type.partition("/")
    return f"{main or 'attachment'}.{sub or 'bin'}"[:60]


def _first_charset(message: Message) -> str | None:
    for part in message.walk():
        charset = part.get_content_charset()
        if charset:
            return charset
    return None


def _first_id(ids: list[str]) -> str:
    return ids[0] if ids else ""


def _content_digest(raw: bytes, headers: dict[str, object]) -> str:
    """A digest that the same message shares whichever mailbox or hop delivered it."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    digest = hashlib.sha256()
    for name in ("from", "to", "cc", "date", "subject"):
        digest.update(str(headers.get(name, "")).encode("utf-8", "surrogateescape") + b"\0")
    digest.update(body if sep else head)
    return digest.hexdigest()


def _sender(message: EmailMessage, body_charset: str | None) -> Sender:
    try:
        header = message["from"]
    except Exception as exc:  # the registry could not even parse it
        return Sender(problem=f"unparsable From header: {type(exc).__name__}")
    if header is None:
        return Sender(problem="no From header")
    addresses: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
    if len(addresses) != 1:
        return Sender(problem=f"{len(addresses)} addresses in From")
    address = addresses[0]
    name = address.display_name or ""
    if any("\udc80" <= ch <= "\udcff" for ch in name):
        name = decode_bytes(name.encode("ascii", "surrogateescape"), body_charset)[0]
    problems = [str(d) or type(d).__name__ for d in header.defects if not _is_cosmetic(d)]
    addr_spec = f"{address.username}@{address.domain}"
    if not address.username or not address.domain:
        problems.append("incomplete address")
    elif not addr_spec.isascii() or any(ch.isspace() for ch in addr_spec):
        problems.append("non-ASCII address")
    return Sender(
        address=addr_spec.lower() if address.username and address.domain else "",
        name=name.strip()[:200],
        is_verified=not problems,
        problem=", ".join(problems),
    )


def _recipients(message: EmailMessage) -> list[str]:
    found: list[str] = []
    for name in ("delivered-to", "x-original-to", "to", "cc"):
        for value in message.get_all(name, []):
            for address in getattr(value, "addresses", ()):
                if address.username and address.domain:
                    addr = f"{address.username}@{address.domain}".lower()
                    if addr not in found:
                        found.append(addr)
    return found


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = message["date"]
        moment = getattr(value, "datetime", None)
    except Exception:
        return None
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return moment
    return None


def _auto_reason(message: EmailMessage, headers: dict[str, object], subject: str) -> str:
    auto_submitted = str(headers.get("auto-submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"[:100]
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated", "x-auto-reply"):
        if name in headers:
            return name
    precedence = str(headers.get("precedence", "")).strip().lower()
    if precedence in {"auto_reply", "junk"}:
        return f"Precedence: {precedence}"
    suppress = str(headers.get("x-auto-response-suppress", "")).lower()
    if "oof" in suppress or "autoreply" in suppress:
        return "X-Auto-Response-Suppress"
    if _AUTO_SUBJECT.match(subject):
        return "subject"
    return ""


def _is_bounce(message: EmailMessage, sender: Sender, subject: str) -> bool:
    local = sender.address.partition("@")[0]
    if message.get_content_type() == "multipart/report":
        return True
    return bool(local and _DAEMON.match(local) and _BOUNCE_SUBJECT.search(subject))


def is_daemon_address(address: str) -> bool:
    """A machine's address (mailer-daemon, postmaster, no-reply…): never opens a ticket."""
    return bool(_DAEMON.match(address.partition("@")[0]))

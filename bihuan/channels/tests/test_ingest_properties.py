"""Property: no malformed message crashes ingestion or is lost, and none lands twice."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bihuan.channels.models import InboundEmail, QuarantinedEmail
from bihuan.channels.services import IngestResult, ingest_email
from bihuan.channels.tests.mail import corpus, corpus_names
from conftest import Org

pytestmark = pytest.mark.django_db

_HEADER_NAMES = ["From", "To", "Subject", "Message-ID", "In-Reply-To", "References",
                 "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Date",
                 "Auto-Submitted", "MIME-Version"]  # fmt: skip
_TRICKY = [
    "=?utf-8?B?5byg5LiJ?=", "=?gb2312?Q?=D6=CA", "=?x-unknown?B?AAA?=", "<a@b>", "<>",
    "\"a@b\" <c@d>",
    "multipart/mixed; boundary=\"B\"", "text/plain; charset=gbk", "base64", "quoted-printable",
    "attachment; filename*=UTF-8''%E5%8F", "--B", "--B--", "\u5f20\u4e09", "\x00", "\udcff",
]  # fmt: skip


def _stored_once(raw: bytes, result: IngestResult) -> None:
    if result.is_quarantined:
        assert QuarantinedEmail.objects.filter(digest=hashlib.sha256(raw).hexdigest()).count() == 1
    else:
        assert result.inbound_id is not None
        assert InboundEmail.objects.filter(pk=result.inbound_id).count() == 1


def _header_value() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_TRICKY) | st.text(max_size=20), max_size=4).map("".join)


_messages = st.one_of(
    st.binary(max_size=3000),
    st.builds(
        lambda headers, body: (
            "\r\n".join(f"{name}: {value}" for name, value in headers).encode(
                "utf-8", "surrogateescape"
            )
            + b"\r\n\r\n"
            + body
        ),
        st.lists(st.tuples(st.sampled_from(_HEADER_NAMES), _header_value()), max_size=10),
        st.binary(max_size=2000),
    ),
    st.builds(
        lambda name, cut, noise: corpus(name)[:cut] + noise,
        st.sampled_from(corpus_names()),
        st.integers(min_value=0, max_value=4000),
        st.binary(max_size=200),
    ),
)


@given(raw=_messages)
# Found by this test: raw 8-bit in a Message-ID reached the database as surrogate escapes.
@example(raw=b"Message-ID: <\x80\xff@x.example>\r\nFrom: a@b.example\r\n\r\nbody\x00\r\n")
def test_any_bytes_are_stored_or_quarantined_exactly_once(org: Org, raw: bytes) -> None:
    first = ingest_email(raw)
    again = ingest_email(raw)

    _stored_once(raw, first)
    assert again.line() == first.line()
    _stored_once(raw, again)

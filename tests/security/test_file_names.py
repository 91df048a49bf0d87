"""An attachment's file name cannot display reversed (issue 9: text-direction controls)."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from bihuan.channels.email.parsing import parse_email


@pytest.mark.parametrize("control", ["\u202e", "\u202d", "\u2067", "\u2068"])
def test_direction_controls_are_removed_from_attachment_names(control: str) -> None:
    message = EmailMessage()
    message["From"] = "wang@example.com"
    message["To"] = "help@example.com"
    message["Subject"] = "发票"
    message.set_content("请查收")
    message.add_attachment(
        b"MZ", maintype="application", subtype="octet-stream", filename=f"发票{control}fdp.exe"
    )

    parsed = parse_email(message.as_bytes())

    assert [a.filename for a in parsed.attachments] == ["发票fdp.exe"]

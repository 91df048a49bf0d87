"""What the access matrix needs to know of the channels routes added with files: the file
of an email reply (download, remove), the reply composer's files of a ticket and its preview
of a reply by email."""

from __future__ import annotations

from typing import Any

from bihuan.channels.models import MessageFile
from bihuan.channels.services import IncomingFile, attach_reply_files
from bihuan.testing.access import AccessSpec


def _objects(org: Any, objects: dict[str, Any]) -> dict[str, Any]:
    """lina's draft for her next email reply on the out-of-scope ticket."""
    [draft] = attach_reply_files(
        objects["ticket"],
        files=[IncomingFile(name="报价单.pdf", content_type="application/pdf", data=b"%PDF-1.4")],
        actor=org.other_agent,
    )
    return {"mail_file": MessageFile.objects.get(pk=draft.pk)}


ACCESS = AccessSpec(
    parameter_kinds={"mail_file_id": "mail_file"},
    web_post_data={
        "channels:file": None,
        "channels:remove_reply_file": {},
        "channels:reply_files": {},
        "channels:email_preview": None,  # GET only: the composer's preview of an email reply
    },
    get_and_post=frozenset({"channels:reply_files"}),
    make_objects=_objects,
    db_apps=frozenset({"bihuan_channels"}),
)

"""Reading uploaded files for the services: refused by size before they are read."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from bihuan.channels.services import UPLOAD_MAX_FILE_BYTES, IncomingFile, clean_filename
from bihuan.core.errors import ValidationFailed


def incoming_files(uploads: Iterable[UploadedFile]) -> list[IncomingFile]:
    """The uploads as ``IncomingFile``s; a file over the limit is refused unread."""
    files = []
    for upload in uploads:
        name = upload.name or ""
        if (upload.size or 0) > UPLOAD_MAX_FILE_BYTES:
            raise ValidationFailed(
                _("The file “%(name)s” is larger than %(limit)d MB."),
                code="file_too_large",
                name=clean_filename(name),
                limit=UPLOAD_MAX_FILE_BYTES // (1024 * 1024),
            )
        files.append(
            IncomingFile(name=name, content_type=upload.content_type or "", data=upload.read())
        )
    return files

"""What photos and voice notes share: the refusal, and reading an upload within a size limit."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _


class UploadRejected(Exception):
    """A file we will not keep; ``str(exc)`` is the message to show the person."""

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def _too_large(limit: int) -> UploadRejected:
    return UploadRejected(
        _("文件太大（不能超过 %(mb)d MB）。")
        % {"mb": limit // (1024 * 1024)},
        code="too_large",
    )


def _read_upload(uploaded_file, limit: int) -> bytes:
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise _too_large(limit)
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise UploadRejected(_("文件是空的。"), code="empty")
    return data


def _seekable_upload(uploaded_file, limit: int):
    """The upload as a seekable binary file, size-checked, without copying it.

    Django keeps small uploads in memory (a BytesIO) and big ones in a
    temporary file; Pillow reads either directly, so the photo's bytes are not
    held twice.
    """
    f = getattr(uploaded_file, "file", uploaded_file)
    try:
        f.seek(0, io.SEEK_END)
        size = f.tell()
        f.seek(0)
    except (AttributeError, OSError, ValueError):
        return io.BytesIO(_read_upload(uploaded_file, limit))
    if size > limit:
        raise _too_large(limit)
    if size == 0:
        raise UploadRejected(_("文件是空的。"), code="empty")
    return f


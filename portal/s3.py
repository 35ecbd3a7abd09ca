"""Object storage for uploads (``MEDIA_STORAGE=s3``) that keeps the access check.

Pages link every upload as ``/media/<name>`` (``url``), so a link in a page or
in a cache is worth nothing by itself: ``portal.media.serve`` checks who asks
and only then redirects to a signed URL (``signed_url``) that expires after
``querystring_expire`` seconds (``S3_URL_EXPIRE``, 300 by default).
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from storages.backends.s3 import S3Storage


class MediaS3Storage(S3Storage):
    def url(self, name, parameters=None, expire=None, http_method=None):
        return settings.MEDIA_URL + quote(name.replace("\\", "/").lstrip("/"))

    def signed_url(self, name: str) -> str:
        """A short-lived signed URL straight to the bucket (querystring_auth is on)."""
        return super().url(name)

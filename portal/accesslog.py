"""Daphne's access log without secrets: a key in a query string is cut to its prefix.

Platforms may send their Open311 key as ``?api_key=...`` (GeoReport v2 says so);
Daphne writes the full URI to its access log. ``serve`` installs this logger.
"""

from __future__ import annotations

import re

from daphne.access import AccessLogGenerator

# The public prefix of a key (community.open311.models.KEY_PREFIX_LENGTH; the
# ground floor does not import a feature app).
KEEP = 8
SECRET_PARAMS = re.compile(r"(?i)([?&](?:api_key|api-key|apikey|token)=)([^&#\s]*)")


def mask_query_secrets(uri: str) -> str:
    """``/x?api_key=jy_abcdefghij&a=1`` → ``/x?api_key=jy_abcde***&a=1``."""
    return SECRET_PARAMS.sub(lambda m: m.group(1) + m.group(2)[:KEEP] + "***", uri)


class MaskingAccessLog(AccessLogGenerator):
    def write_entry(self, host, date, request, status=None, length=None, ident=None,
                    user=None):
        super().write_entry(host, date, mask_query_secrets(request), status=status,
                            length=length, ident=ident, user=user)

"""Making notices in tests the way the portal does: Wagtail pages, published through revisions."""

from __future__ import annotations

import uuid

from django.utils.html import escape
from wagtail.rich_text import RichText

from notices.choices import Audience, Category
from notices.models import NoticePage
from notices.services import ensure_notice_index


def make_notice(*, title: str = "通知", text: str = "内容", author=None,
                audience: str = Audience.COMMUNITY, buildings=(), grids=(),
                public: bool = True, publish: bool = True, **fields) -> NoticePage:
    index = ensure_notice_index()
    page = NoticePage(
        title=title, slug=f"t-{uuid.uuid4().hex[:10]}",
        category=fields.pop("category", Category.OTHER),
        body=[("paragraph", RichText(f"<p>{escape(text)}</p>"))],
        audience=audience, is_public=public and audience == Audience.COMMUNITY,
        owner=author, live=False, **fields,
    )
    page.audience_buildings = list(buildings)
    page.audience_grids = list(grids)
    index.add_child(instance=page)
    revision = page.save_revision(user=author)
    if publish:
        revision.publish(user=author, skip_permission_checks=True)
        page.refresh_from_db()
    return page

"""An RSS feed of public, community-wide notices (for the county site, WeChat tools, readers)."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Audience, Category
from .models import NoticePage


class PublicNoticesFeed(Feed):
    title = _("仫佬家园 · 社区通知")
    description = _("仫佬家园社区的公开通知")

    def link(self):
        return reverse("notices:index")

    def items(self):
        return (NoticePage.objects.live()
                .filter(audience=Audience.COMMUNITY, is_public=True)
                .order_by("-first_published_at", "-pk")[:30])

    def item_title(self, item):
        return f"【{Category(item.category).label}】{item.title}"

    def item_description(self, item):
        return item.body_text()[:500]

    def item_link(self, item):
        return reverse("notices:detail", args=[item.pk])

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at

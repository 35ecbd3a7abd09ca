"""The blocks a notice body is made of: text and photos."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageBlock


class NoticeBodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        features=["bold", "italic", "ol", "ul", "link", "h3"], label=_("文字")
    )
    image = ImageBlock(label=_("图片"))

    class Meta:
        label = _("正文")

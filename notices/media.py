"""Wagtail's documents and images under /media/ follow the notices they belong to (``portal.media``).

``/documents/<id>/<name>`` asks the same question (``views.serve_document``);
this covers the files' own names under /media/, which Wagtail links when a
document is served "direct" and which every image and rendition uses.
"""

from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from portal.media import private

from .selectors import image_is_public, may_read_document, may_see_image

Image = get_image_model()

private(get_document_model(), ("file",), prefixes=("documents/",), anonymous=True,
        check=may_read_document)
private(Image, ("file",), prefixes=("original_images/",), anonymous=True,
        check=may_see_image, public_if=image_is_public)
private(Image.get_rendition_model(), ("file",), prefixes=("images/",), anonymous=True,
        related=("image",), check=lambda user, rendition: may_see_image(user, rendition.image),
        public_if=lambda rendition: image_is_public(rendition.image))

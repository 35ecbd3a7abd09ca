"""Photos that people upload: checked, cleaned, stored as three JPEGs.

A photo must really be an image that Pillow can open, verify and decode
(JPEG, PNG, WebP or HEIC), of at most ``MAX_PIXELS`` pixels, so a
decompression bomb or a 100-megapixel picture is refused before it is
decoded; the EXIF orientation is applied and then **all** EXIF (GPS
included) and XMP are dropped; what is stored are three JPEG renditions,
longest side 1600 / 800 / 240 px. JPEGs are decoded with ``Image.draft()``,
at 1/2, 1/4 or 1/8 of their size straight out of the decoder, which is
about twice as fast and uses a fraction of the memory (tests/perf/bench_photos.py).
"""

from __future__ import annotations

import io
import struct
import uuid
import warnings
from dataclasses import dataclass

import pillow_heif
from django import forms
from django.core.files.base import ContentFile
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, ImageOps, TiffImagePlugin, UnidentifiedImageError

from .base import UploadRejected, _seekable_upload

# Pillow imports its TIFF plugin the first time it reads EXIF; importing it with
# this module makes that a cost of starting the server, not of the first photo.
assert TiffImagePlugin

# HEIC from iPhones; pillow-heif comes with Wagtail's Willow (and the lock file).
pillow_heif.register_heif_opener()

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 25 * 1024 * 1024
"""Phones that send without JavaScript send the original; 25 MB covers a 48-MP JPEG."""
MAX_PIXELS = 50_000_000
"""The same limit the Wagtail image library uses (WAGTAILIMAGES_MAX_IMAGE_PIXELS)."""
LARGE, MEDIUM, THUMB = 1600, 800, 240
JPEG_QUALITY = 82
PHOTO_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF"}


@dataclass
class CleanPhoto:
    """Three JPEG renditions without any metadata, ready to be saved."""

    image: ContentFile
    medium: ContentFile
    thumb: ContentFile
    width: int
    height: int


def _not_an_image() -> UploadRejected:
    return UploadRejected(
        _("这个文件不是照片，请选择手机相册里的照片。"),
        code="not_image",
    )


def _too_big_pixels() -> UploadRejected:
    return UploadRejected(
        _(
            "照片太大（超过5000万像素），请换一张或用手机截图后再发。"
        ),
        code="too_many_pixels",
    )


def _open(fp) -> Image.Image:
    """Open without decoding pixels; bombs and non-images raise UploadRejected."""
    fp.seek(0)
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice it; make that an error too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(fp)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_big_pixels() from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
            raise _not_an_image() from None
    if im.format not in PHOTO_FORMATS:
        raise _not_an_image()
    w, h = im.size
    if w < 1 or h < 1:
        raise _not_an_image()
    if w * h > MAX_PIXELS:
        raise _too_big_pixels()
    return im


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if im.mode.startswith("I;16") or im.mode in ("I", "F"):
        # 16-bit greyscale PNGs: scale down to 8 bits before RGB.
        im = im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB")


def _jpeg(im: Image.Image, icc: bytes | None) -> ContentFile:
    out = io.BytesIO()
    # No exif= and no xmp=: Pillow writes none, so GPS and every other tag are gone.
    # The colour profile is kept (it is not EXIF and carries no personal data).
    # Baseline, not progressive: progressive encoding costs 5× the time for a few percent.
    params = {"quality": JPEG_QUALITY}
    if icc:
        params["icc_profile"] = icc
    im.save(out, "JPEG", **params)
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


_BAND_ROWS = 64


def _fit(im: Image.Image, longest: int) -> Image.Image:
    """``im`` scaled so its longest side is at most ``longest`` (never enlarged).

    Big images are resized in bands of output rows: Pillow's resize of a whole
    image keeps a full-width intermediate of every source row (9.6 MB for
    2000×1500 → 1600×1200), a band needs a fiftieth of that. ``box`` makes the
    filter read past the band's edges, so the bands join without a seam.
    """
    w, h = im.size
    if max(w, h) <= longest:
        return im
    if max(w, h) == 2 * longest and w % 2 == 0 and h % 2 == 0:
        return im.reduce(2)  # exactly half (1600 → 800): a box average is as good and 10× faster
    scale = longest / max(w, h)
    ow, oh = max(1, round(w * scale)), max(1, round(h * scale))
    if ow * oh < 1_000_000:
        return im.resize((ow, oh), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = Image.new(im.mode, (ow, oh))
    sy = h / oh
    for y0 in range(0, oh, _BAND_ROWS):
        y1 = min(oh, y0 + _BAND_ROWS)
        band = im.resize((ow, y1 - y0), Image.Resampling.LANCZOS, box=(0, y0 * sy, w, y1 * sy))
        out.paste(band, (0, y0))
    return out


def clean_photo(uploaded_file) -> CleanPhoto:
    """Check that ``uploaded_file`` is a real photo and make the stored renditions.

    Raises ``UploadRejected`` for anything that is not a JPEG/PNG/WebP/HEIC
    image Pillow can fully decode, or that has more than ``MAX_PIXELS`` pixels.
    The result has no EXIF (GPS included), is the right way up, and is JPEG.
    """
    fp = _seekable_upload(uploaded_file, MAX_PHOTO_BYTES)
    # 1. Is it an image at all? verify() checks the structure without decoding.
    im = _open(fp)
    try:
        im.verify()
    except Exception:  # Pillow raises many types for broken files
        raise _not_an_image() from None
    # 2. verify() leaves the object unusable: reopen and decode for real.
    im = _open(fp)
    icc = im.info.get("icc_profile")
    try:
        if im.format in ("JPEG", "MPO"):
            # Let the decoder scale by 1/2, 1/4 or 1/8 while it decodes, never
            # below the size we keep.
            w, h = im.size
            scale = LARGE / max(w, h)
            if scale < 1:
                im.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
        im.load()
        exif = im.info.get("exif")
        # Shrink first, then turn: turning 1600 px costs less than turning 2000,
        # and the decoded original is freed before the turned copy is made.
        large = _fit(_to_rgb(im), LARGE)
        if large is im:
            large = im.copy()
        del im
        large.info = {"exif": exif} if exif else {}
        large = ImageOps.exif_transpose(large)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big_pixels() from None
    except Exception:  # truncated or corrupt pixel data
        raise _not_an_image() from None
    large.info = {}  # nothing from the original travels on
    medium = _fit(large, MEDIUM)
    thumb = _fit(medium, THUMB)
    return CleanPhoto(
        image=_jpeg(large, icc),
        medium=_jpeg(medium, icc),
        thumb=_jpeg(thumb, icc),
        width=large.width,
        height=large.height,
    )


def _photo_path(instance, folder: str) -> str:
    return f"{instance._meta.app_label}/photos/{folder}{uuid.uuid4().hex}.jpg"


def photo_upload_to(instance, filename: str) -> str:
    """``<app>/photos/<random>.jpg``: nothing of the person's file name is kept."""
    return _photo_path(instance, "")


def medium_upload_to(instance, filename: str) -> str:
    return _photo_path(instance, "m/")


def thumb_upload_to(instance, filename: str) -> str:
    return _photo_path(instance, "t/")


class BasePhoto(models.Model):
    """A cleaned photo in three sizes. Apps subclass it with their foreign key::

        class CasePhoto(BasePhoto):
            case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos")
    """

    # Indexed: every /media/ request finds its owner by file name (portal.media).
    image = models.ImageField(gettext_lazy("照片"), upload_to=photo_upload_to,
                              max_length=200, db_index=True)
    medium = models.ImageField(gettext_lazy("中图"), upload_to=medium_upload_to,
                               max_length=200, db_index=True)
    thumb = models.ImageField(gettext_lazy("缩略图"), upload_to=thumb_upload_to,
                              max_length=200, db_index=True)
    width = models.PositiveIntegerField(gettext_lazy("宽"), default=0)
    height = models.PositiveIntegerField(gettext_lazy("高"), default=0)
    created_at = models.DateTimeField(gettext_lazy("上传时间"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def set_image(self, uploaded_file) -> None:
        """Check and process ``uploaded_file``; fill the three images. Raises UploadRejected.

        Writes the files to storage (not the row: call ``save()`` after).
        """
        self.set_clean(clean_photo(uploaded_file))

    def set_clean(self, clean: CleanPhoto) -> None:
        """Store an already cleaned photo (see ``clean_photo``)."""
        self.image.save(clean.image.name, clean.image, save=False)
        self.medium.save(clean.medium.name, clean.medium, save=False)
        self.thumb.save(clean.thumb.name, clean.thumb, save=False)
        self.width, self.height = clean.width, clean.height

    def delete_files(self) -> None:
        for f in (self.image, self.medium, self.thumb):
            if f:
                f.delete(save=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to ``MAX_PHOTOS`` photos in one ``<input type=file multiple>``; cleans to [CleanPhoto]."""

    widget = MultipleFileInput

    def __init__(self, *args, max_photos: int = MAX_PHOTOS, **kwargs):
        kwargs.setdefault("required", False)
        self.max_photos = max_photos
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/*", "data-jy-photos": str(max_photos)})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_photos:
            raise forms.ValidationError(
                _("最多 %(n)d 张照片。") % {"n": self.max_photos},
                code="too_many",
            )
        out = []
        for f in files:
            try:
                out.append(clean_photo(f))
            except UploadRejected as exc:
                raise forms.ValidationError(str(exc), code=exc.code) from None
        return out

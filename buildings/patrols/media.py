"""The visits' photos and voice notes: for those who may see the visit (``portal.media``)."""

from portal.media import private

from .models import Visit, VisitPhoto

private(VisitPhoto, ("image", "medium", "thumb"), permission="patrols.view_visit",
        owner=lambda photo: photo.visit, related=("visit__household__unit__building",))
private(Visit, ("voice",), permission="patrols.view_visit",
        related=("household__unit__building",))

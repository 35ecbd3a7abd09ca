"""One refusal type for every app: ``Refused(message, forbidden=...)``.

A service that will not do what it was asked raises a ``Refused`` (or one of
the apps' subclasses: ``community.workflow.WorkflowError``,
``volunteers.services.VolunteerError``, ``notices.services.NoticeError``, …)
with a message a resident can read. ``forbidden=True`` means it is about the
person (403); otherwise it is the state of things or the input (400).

Because every app's error is a ``Refused``, one app's service calling
another's lets the refusal pass as it is: nothing translates one class into
another. It is answered once:

- for views, by :class:`RefusedMiddleware` (a view that lets it go): 403 through
  ``handler403`` with the message, or 400 as ``portal.forms_json`` answers a
  form (JSON for forms.js, else the message flashed on the page the person came
  from). A view that shows the message inside its own page (the form again, the
  case page) catches ``Refused`` itself;
- for the WebSocket consumers, by ``portal.sockets.refusal_frame``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .forms_json import json_or_redirect


class Refused(Exception):
    """A request the site refuses; ``message`` says why in words a resident reads."""

    def __init__(self, message="", *, forbidden: bool = False):
        super().__init__(message)
        self.message = message
        self.forbidden = forbidden

    def __str__(self) -> str:
        return str(self.message)


class RefusedMiddleware:
    """Answers a ``Refused`` that a view let go: 403 if ``forbidden``, else 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Refused):
            return None
        if exception.forbidden:
            raise PermissionDenied(exception.message) from exception
        return json_or_redirect(request, str(exception.message), None)

"""One answer for both ways a form arrives: fetch from forms.js, or a plain post.

``static/portal/forms.js`` sends a ``<form data-jy-form>`` with
``Accept: application/json`` and expects::

    200 {"ok": true, "url": "/next/"}
    400 {"ok": false, "errors": {"field": ["message", ...]}, "message": "..."}

Without JavaScript the browser posts the form and expects a redirect on
success and the form again, with its errors, on failure. A view writes::

    form = CaseForm(request.POST, request.FILES)
    if not form.is_valid():
        return json_or_redirect(request, form, None,
                                template="community/case_new.html", context={"form": form})
    case = case_submit(..., client_key=client_key_from(request))
    return json_or_redirect(request, None, case.get_absolute_url())

so both paths behave the same. See the module docstring of ``portal.uploads``
for the whole contract (photos, voice notes, ``client_key``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .uploads.base import UploadRejected

NON_FIELD = "__all__"


def wants_json(request: HttpRequest) -> bool:
    """The request came from forms.js (or another client that asked for JSON)."""
    return "application/json" in request.headers.get("Accept", "")


def client_key_from(request: HttpRequest, field: str = "client_key") -> uuid.UUID | None:
    """The phone-made key of this submission, or None if absent or not a UUID."""
    raw = (request.POST.get(field) or request.headers.get("X-Client-Key") or "").strip()
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def errors_of(form_or_errors) -> dict[str, list[str]]:
    """``{field: [message, ...]}`` from a form, an UploadRejected, a ValidationError or a dict."""
    if form_or_errors is None:
        return {}
    if isinstance(form_or_errors, forms.BaseForm):
        return {name: [e["message"] for e in errs]
                for name, errs in form_or_errors.errors.get_json_data().items()}
    if isinstance(form_or_errors, UploadRejected):
        return {NON_FIELD: [str(form_or_errors)]}
    if isinstance(form_or_errors, forms.ValidationError):
        if hasattr(form_or_errors, "error_dict"):
            return {k: [str(m) for e in v for m in e.messages]
                    for k, v in form_or_errors.error_dict.items()}
        return {NON_FIELD: [str(m) for m in form_or_errors.messages]}
    if isinstance(form_or_errors, Mapping):
        return {str(k): [str(m) for m in (v if isinstance(v, (list, tuple)) else [v])]
                for k, v in form_or_errors.items() if v}
    if isinstance(form_or_errors, str):
        return {NON_FIELD: [form_or_errors]}
    raise TypeError(f"cannot read errors from {type(form_or_errors)!r}")


def json_or_redirect(
    request: HttpRequest,
    form_or_errors,
    url: str | None,
    *,
    template: str | None = None,
    context: dict | None = None,
    message: str | None = None,
    status: int = 400,
) -> HttpResponse:
    """Success (no errors) → ``{"ok": true, "url": url}`` or a 303 redirect to ``url``.

    Errors (an invalid form, an ``UploadRejected``, a ``ValidationError`` or a
    ``{field: [messages]}`` dict) → 400 with ``{"ok": false, "errors": ...,
    "message": ...}``, or, without JavaScript, ``template`` rendered with
    ``context`` and the same status (if no template is given, the message is
    flashed and the person is sent back to the page they came from).
    """
    errors = errors_of(form_or_errors)
    if not errors:
        if wants_json(request):
            return JsonResponse({"ok": True, "url": url})
        response = redirect(url)
        response.status_code = 303
        return response
    if message is None:
        if NON_FIELD in errors and len(errors) == 1:
            message = errors[NON_FIELD][0]
        else:
            message = _("请检查标红的地方。")
    if wants_json(request):
        return JsonResponse({"ok": False, "errors": errors, "message": message}, status=status)
    if template:
        ctx = {"errors": errors, "error_message": message, **(context or {})}
        return render(request, template, ctx, status=status)

    messages.error(request, message)
    for field, msgs in errors.items():
        if field != NON_FIELD or msgs[0] != message:
            for m in msgs:
                messages.error(request, m)
    back = request.headers.get("Referer") or request.path

    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = request.path
    response = redirect(back)
    response.status_code = 303
    return response

"""我的数据: download one's own data, delete one's account (see ``portal.privacy``).

Every view works on ``request.user`` only: none takes an id, so there is
nothing to forge.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import privacy
from .downloads import as_download
from .models import RetentionSettings
from .services import audit


def _filename(ext: str) -> str:
    return f"jiayuan-mydata-{timezone.localdate():%Y%m%d}.{ext}"


def _audit_export(request: HttpRequest, fmt: str) -> None:
    with transaction.atomic():
        audit(actor=request.user, action="account.export", target=request.user, format=fmt)


@login_required
@require_GET
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/privacy/index.html", {
        "summary": privacy.personal_data_summary(request.user),
        "retention_days": RetentionSettings.load().media_days,
    })


@login_required
@require_GET
@never_cache
def export_json(request: HttpRequest) -> HttpResponse:
    body = privacy.personal_data_json(request.user)
    _audit_export(request, "json")
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    return as_download(response, _filename("json"))


@login_required
@require_GET
@never_cache
def export_zip(request: HttpRequest) -> HttpResponse:
    archive = privacy.personal_data_zip(request.user)
    _audit_export(request, "zip")
    return as_download(FileResponse(archive, content_type="application/zip"), _filename("zip"))


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def delete(request: HttpRequest) -> HttpResponse:
    roles = privacy.erase_blockers(request.user)
    context = {"roles": roles, "blocked": privacy.staff_role_message(roles) if roles else "",
               "word": "注销", "error": ""}
    if request.method == "GET":
        return render(request, "portal/privacy/delete.html", context)
    if roles:
        return render(request, "portal/privacy/delete.html", context, status=403)
    typed = "".join((request.POST.get("confirm") or "").split())
    if typed.lower() not in privacy.CONFIRM_WORDS:
        context["error"] = _(
            "请在框里输入“注销”两个字，确认要注销账号。"
        )
        return render(request, "portal/privacy/delete.html", context, status=400)
    large_type = request.user.large_type
    try:
        privacy.account_erase(user=request.user)
    except privacy.PrivacyError as exc:
        context["error"] = str(exc)
        return render(request, "portal/privacy/delete.html", context, status=409)
    logout(request)
    response = redirect("portal:privacy_deleted")
    if large_type:
        # A setting of this phone, not of the person: the next pages stay readable.
        response.set_cookie("jy_lt", "1", max_age=365 * 86400, samesite="Lax")
    return response


@require_GET
def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/privacy/deleted.html")

"""The shell's own pages: 我的, notifications, preferences, the app manifest."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from buildings.access import scope_of
from buildings.selectors import residencies_of

from .choices import Language
from .forms_json import NON_FIELD, wants_json
from .models import HOME_PAGE_CACHE_KEY, HomePage
from .params import BadParameter
from .selectors import notifications_for, page_sections
from .services import notifications_mark_read, user_set_preferences


def _back(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
def me(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    roles = []
    if scope.is_building_head:
        roles.append(_("楼栋长"))
    if scope.is_grid_worker:
        roles.append(_("网格员"))
    if scope.is_liaison:
        roles.append(_("连心室值班人员"))
    if scope.is_handler:
        roles.append(_("承办人"))
    if scope.is_admin:
        roles.append(_("社区管理员"))
    return render(
        request,
        "portal/me.html",
        {
            "residencies": list(residencies_of(request.user)),
            "roles": roles,
            "scope": scope,
            "sections": page_sections("jiayuan_me_sections", request),
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(notifications_for(request.user))
    response = render(request, "portal/notifications.html", {"items": items})
    # Showing the list is reading it; the page itself still marks what was new.
    notifications_mark_read(user=request.user)
    return response


@require_POST
def set_large_type(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("on") == "1"
    if request.user.is_authenticated:
        user_set_preferences(user=request.user, large_type=on)
    response = redirect(_back(request))
    response.set_cookie("jy_lt", "1" if on else "0", max_age=365 * 86400, samesite="Lax")
    return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    lang = request.POST.get("language")
    if lang not in Language.values:
        lang = Language.ZH_HANS
    if request.user.is_authenticated:
        user_set_preferences(user=request.user, language=lang)
    request.session["jiayuan_language"] = lang
    translation.activate(lang)
    response = redirect(_back(request))
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 86400, samesite="Lax")
    return response


@login_required
@require_POST
def set_display_name(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("display_name", "").strip()
    if not name or len(name) > 40:
        messages.error(request, _("称呼请填写1到40个字。"))
        return redirect("portal:me")
    user_set_preferences(user=request.user, display_name=name)
    return redirect("portal:me")


@require_GET
@cache_control(max_age=86400, public=True)
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "name": "仫佬家园",
            "short_name": "家园",
            "lang": "zh-CN",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#b3261e",
            "icons": [
                {"src": static("portal/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
                {"src": static("portal/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the root so it may control every page (scope /)."""
    shell_assets = [
        static("portal/site.css"),
        static("portal/site.js"),
        static("portal/icon.svg"),
    ]
    body = render(
        request,
        "portal/sw.js",
        {"assets": shell_assets, "version": settings.JIAYUAN.get("SHELL_VERSION", "1")},
        content_type="application/javascript",
    )
    body["Cache-Control"] = "no-cache"
    body["Service-Worker-Allowed"] = "/"
    return body


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/offline.html")


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def error_400(request, exception=None):
    """Bad input answers in words: a BadParameter's own message, else a general one.

    Other BadRequest / SuspiciousOperation texts are for the log, not the person.
    """

    message = exception.message if isinstance(exception, BadParameter) else _(
        "这个地址或表单里有看不懂的内容，请返回重试。")
    if wants_json(request):
        return JsonResponse({"ok": False, "message": str(message),
                             "errors": {NON_FIELD: [str(message)]}}, status=400)
    return render(request, "400.html", {"message": message}, status=400)


def error_403(request, exception=None):
    message = str(exception) if exception and str(exception) else _(
        "您没有权限进行此操作。"
    )
    return render(request, "403.html", {"message": message}, status=403)


def error_429(request, exception=None, *, message: str = ""):
    return render(request, "429.html", {"message": message}, status=429)


def home(request: HttpRequest) -> HttpResponse:
    """首页: the Wagtail home page, served without Wagtail's site routing.

    The home page is the site root and never has view restrictions, so the
    site lookup, the route through the tree and the restriction checks that
    ``wagtail.views.serve`` makes would cost three queries on the page every
    resident opens first. Editing, revisions and previews stay Wagtail's.
    """

    page = cache.get(HOME_PAGE_CACHE_KEY)
    if page is None:
        page = HomePage.objects.live().first()
        if page is None:
            raise Http404
        cache.set(HOME_PAGE_CACHE_KEY, page, 300)
    return page.serve(request)

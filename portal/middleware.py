from allauth.core.exceptions import RateLimited
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

from .params import BadParameter
from .sms import SmsRefused
from .views import error_429


class UserLanguageMiddleware:
    """A signed-in person's chosen language wins over the browser's.

    Placed before LocaleMiddleware: it sets the language cookie value on the
    request so LocaleMiddleware picks it up.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        lang = session.get("jiayuan_language") if session is not None else None
        if lang:
            request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = lang
        response = self.get_response(request)
        return response


class JiayuanCSPMiddleware(CSPMiddleware):
    """A strict policy for our pages; the Wagtail admin gets what its scripts need."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if request.path.startswith(("/admin/", "/django-admin/")):
            relaxed = {
                "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
                "style-src": ["'self'", "'unsafe-inline'"],
                "img-src": ["'self'", "data:", "blob:"],
                "frame-src": ["'self'"],
            }
            parts.replace = {**(parts.replace or {}), **relaxed}
        return parts


def activate_user_language(request, user) -> None:
    request.session["jiayuan_language"] = user.language
    translation.activate(user.language)


class RateLimitedMiddleware:
    """A rate limit hit deep inside a flow (e.g. a second code for the same
    number within a minute during sign-up), or an SMS cap (``portal.sms``),
    is a 429 page that says which, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RateLimited):
            return error_429(request)
        if isinstance(exception, SmsRefused):
            return error_429(request, message=exception.message)
        return None


class RefuseNulMiddleware:
    """A NUL character in a query or a form field is refused with a 400.

    No one types it, PostgreSQL cannot store or compare it (every query that
    meets one raises), and SQLite lets it through: refused here once, for
    every view, rather than in each place a text reaches a query. Forms'
    CharFields already refuse it; this covers the parameters read by hand.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _carries_nul(request):
            return _nul_refused(request)
        return self.get_response(request)


def _carries_nul(request) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return True
    if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            posted = request.POST
        except Exception:  # noqa: BLE001 - a broken body is the view's to refuse
            return False
        for key, values in posted.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return True
    return False


def _nul_refused(request):
    message = _("提交的内容里有不能识别的字符，请检查后重新输入。")
    if request.path.startswith("/open311/"):
        # GeoReport v2's own error format, in the form the platform asked for.
        if request.path.endswith(".xml"):
            body = ("<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>400</code>"
                    "<description>Invalid characters in the request.</description></error></errors>")
            return HttpResponse(body, status=400, content_type="application/xml; charset=utf-8")
        return JsonResponse([{"code": 400, "description": "Invalid characters in the request."}],
                            status=400, safe=False)

    raise BadParameter(message)  # answered by handler400, in words or as JSON


class TextGZipMiddleware(GZipMiddleware):
    """Pages and JSON gzipped when the embedded default serves them itself.

    Behind nginx (production) nginx compresses; the embedded default has no
    one in front, and a signed-in 首页 is 15-20 KB of HTML on a slow mobile
    link. Only text: photos, voice notes and documents are compressed already,
    and static files come from WhiteNoise, above this, with their own .br/.gz.
    Django's GZipMiddleware pads each response with random bytes against BREACH.
    """

    def process_response(self, request, response):
        kind = response.get("Content-Type", "")
        if not kind.startswith(("text/", "application/json")):
            return response
        return super().process_response(request, response)

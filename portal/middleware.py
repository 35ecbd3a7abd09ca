from csp.middleware import CSPMiddleware
from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in person's chosen language wins over the browser's.

    Placed before LocaleMiddleware: it sets the language cookie value on the
    request so LocaleMiddleware picks it up.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

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
        from allauth.core.exceptions import RateLimited

        from .sms import SmsRefused
        from .views import error_429

        if isinstance(exception, RateLimited):
            return error_429(request)
        if isinstance(exception, SmsRefused):
            return error_429(request, message=exception.message)
        return None

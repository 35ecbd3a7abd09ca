from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .selectors import unread_notification_count

# What every page's shell links to, worked out once per process (per script
# prefix): reversing eight URLs and resolving eleven static names on every
# page was a tenth of a signed-in page's time. Static names are fixed for a
# process (the manifest is read at start), and so are the URL patterns.
_URLS: dict[str, dict[str, str]] = {}
# The tabs' words, once per language.
_TABS: dict[str, list[tuple[str, str, str]]] = {}


def _forget(*, setting, **kwargs) -> None:
    # A test that overrides where static files or URLs live sees its own links.
    if setting in ("STATIC_URL", "STORAGES", "ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _URLS.clear()
        _TABS.clear()


setting_changed.connect(_forget, dispatch_uid="portal_shell_urls")


def _shell_urls() -> dict[str, str]:
    prefix = get_script_prefix()
    urls = _URLS.get(prefix)
    if urls is None:
        urls = {
            "manifest": reverse("manifest"),
            "large_type": reverse("portal:set_large_type"),
            "notifications": reverse("portal:notifications"),
            "login": reverse("account_login"),
            "catalog": reverse("javascript-catalog"),
            "icon": static("portal/icon.svg"),
            "css": static("portal/site.css"),
            "icons": static("portal/icons.svg"),
            "site_js": static("portal/site.js"),
            "common_js": static("portal/common.js"),
            "forms_js": static("portal/forms.js"),
        }
        _URLS[prefix] = urls
    return urls


def _tabs() -> list[tuple[str, str, str]]:
    lang = translation.get_language()
    tabs = _TABS.get(lang)
    if tabs is None:
        tabs = [
            ("home", _("首页"), "/"),
            ("report", _("报事"), reverse("community:index")),
            ("notices", _("通知"), reverse("notices:index")),
            ("volunteer", _("志愿"), reverse("volunteers:index")),
            ("me", _("我的"), reverse("portal:me")),
        ]
        _TABS[lang] = tabs
    return tabs


def shell(request):
    """What the phone shell needs on every page: tabs, the bell, large type.

    Worked out once per request and kept on it: the sections of 首页 and 我的
    are rendered with the request too (portal.selectors.page_sections), and
    each of those renders runs the context processors again.
    """
    kept = getattr(request, "_jy_shell", None)
    if kept is not None and kept[0] == translation.get_language():
        return kept[1]
    user = getattr(request, "user", None)
    large_type = request.COOKIES.get("jy_lt") == "1"
    if user is not None and user.is_authenticated:
        large_type = user.large_type

    def unread() -> int:
        if user is None or not user.is_authenticated:
            return 0

        return unread_notification_count(user)

    path = request.path
    active = {"home": path == "/", "report": path.startswith("/cases"),
              "notices": path.startswith("/notices"), "volunteer": path.startswith("/volunteer"),
              "me": path.startswith("/me")}
    tabs = [(key, label, url, active[key]) for key, label, url in _tabs()]
    out = {"large_type": large_type, "unread_count": unread, "shell_tabs": tabs,
           "shell_urls": _shell_urls()}
    request._jy_shell = (translation.get_language(), out)
    return out

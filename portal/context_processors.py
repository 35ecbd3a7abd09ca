from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .selectors import unread_notification_count


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
    tabs = [
        ("home", _("首页"), "/", path == "/"),
        ("report", _("报事"), reverse("community:index"), path.startswith("/cases")),
        ("notices", _("通知"), reverse("notices:index"), path.startswith("/notices")),
        ("volunteer", _("志愿"), reverse("volunteers:index"), path.startswith("/volunteer")),
        ("me", _("我的"), reverse("portal:me"), path.startswith("/me")),
    ]
    out = {"large_type": large_type, "unread_count": unread, "shell_tabs": tabs}
    request._jy_shell = (translation.get_language(), out)
    return out

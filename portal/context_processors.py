from django.urls import reverse
from django.utils.translation import gettext as _


def shell(request):
    """What the phone shell needs on every page: tabs, the bell, large type."""
    user = getattr(request, "user", None)
    large_type = request.COOKIES.get("jy_lt") == "1"
    if user is not None and user.is_authenticated:
        large_type = user.large_type

    def unread() -> int:
        if user is None or not user.is_authenticated:
            return 0
        from .selectors import unread_notification_count

        return unread_notification_count(user)

    path = request.path
    tabs = [
        ("home", _("首页"), "/", path == "/"),
        ("report", _("报事"), reverse("community:index"), path.startswith("/cases")),
        ("notices", _("通知"), reverse("notices:index"), path.startswith("/notices")),
        ("volunteer", _("志愿"), reverse("volunteers:index"), path.startswith("/volunteer")),
        ("me", _("我的"), reverse("portal:me"), path.startswith("/me")),
    ]
    return {"large_type": large_type, "unread_count": unread, "shell_tabs": tabs}

"""Registration only: the chat on 首页 and 我的, and the admin screens."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from buildings.access import may

from .selectors import unread_replies_for
from .viewsets import LiaisonViewSetGroup

register_snippet(LiaisonViewSetGroup)


@hooks.register("jiayuan_home_sections")
def home_chat(request):
    if not request.user.is_authenticated:
        return None

    return {"template": "liaison/home_section.html", "order": 15,
            "context": {"unread": unread_replies_for(request.user)}}


@hooks.register("jiayuan_me_sections")
def me_chat(request):
    if not request.user.is_authenticated:
        return None
    return {"template": "liaison/me_section.html", "order": 30,
            "context": {"console": may(request.user, "liaison.use_console")}}

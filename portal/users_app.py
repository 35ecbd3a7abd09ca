"""``wagtail.users`` with our user admin: Wagtail 8's way to customise the user forms.

Listed in INSTALLED_APPS in place of ``wagtail.users``. It lives in its own
module because Django picks an app's config from the AppConfig classes in its
``apps.py``, and a second one there would hide ``PortalConfig``.
"""

from wagtail.users.apps import WagtailUsersAppConfig


class JiayuanUsersAppConfig(WagtailUsersAppConfig):
    user_viewset = "portal.viewsets.UserViewSet"

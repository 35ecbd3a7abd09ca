"""The portal's own Wagtail admin screens: users with our fields, the SMS outbox, the audit trail."""

from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from .forms import WagtailUserCreationForm, WagtailUserEditForm


class UserViewSet(WagtailUserViewSet):
    """Wagtail's user admin, with the phone and display name (see ``portal.forms``).

    Named by ``JiayuanUsersAppConfig.user_viewset``; Wagtail registers it itself.
    """

    def get_form_class(self, for_update=False):
        return WagtailUserEditForm if for_update else WagtailUserCreationForm

"""Forms of the portal's own admin screens: the Wagtail user admin with our fields.

Wagtail 8 no longer reads ``WAGTAIL_USER_EDIT_FORM``/``WAGTAIL_USER_CREATION_FORM``:
these forms reach the user admin through ``portal.viewsets.UserViewSet``, which
the ``JiayuanUsersAppConfig`` (in place of ``wagtail.users`` in INSTALLED_APPS)
names as its ``user_viewset``. The settings still point here, so either way
works.

People here sign in with a phone number, so e-mail and the Western first/last
names that Wagtail requires become optional, and the phone is read the way
people write it (138 1234 5678) and stored as E.164.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm

from .models import User
from .phones import normalize_phone

CUSTOM_FIELDS = ("phone", "display_name")


class _PortalUserFields(forms.Form):
    """The fields we add, and how the phone is read. Mixed in before Wagtail's form."""

    email = forms.EmailField(required=False, label=_("电子邮箱"))
    first_name = forms.CharField(required=False, label=_("名"))
    last_name = forms.CharField(required=False, label=_("姓"))
    phone = forms.CharField(
        required=False,
        max_length=20,
        label=_("手机号"),
        help_text=_("11位大陆手机号，例如 13812345678；可留空"),
    )
    display_name = forms.CharField(
        required=False, max_length=40, label=_("称呼"), help_text=_("在门户中向他人显示的名字")
    )

    def clean_phone(self) -> str | None:
        raw = (self.cleaned_data.get("phone") or "").strip()
        if not raw:
            return None  # NULL, so many people may have no phone (unique allows NULLs)
        phone = normalize_phone(raw)
        taken = User._default_manager.filter(phone=phone)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("这个手机号已被其他账户使用。"),
                code="phone_taken",
            )
        return phone

    def clean_display_name(self) -> str:
        return (self.cleaned_data.get("display_name") or "").strip()


class WagtailUserCreationForm(_PortalUserFields, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = set(UserCreationForm.Meta.fields) | set(CUSTOM_FIELDS)


class WagtailUserEditForm(_PortalUserFields, UserEditForm):
    class Meta(UserEditForm.Meta):
        fields = set(UserEditForm.Meta.fields) | set(CUSTOM_FIELDS)

"""Sign-in for people with a phone: a code by SMS, or a password if they set one."""

from allauth.account.forms import LoginForm, SignupForm
from django.utils.translation import gettext_lazy as _


class PhoneLoginForm(LoginForm):
    """The password box is optional: left empty, an SMS code is sent instead."""

    def _setup_password_field(self) -> None:
        field = self.fields["password"]
        field.required = False
        field.label = _("密码（可不填）")
        field.help_text = _("没有设置密码就不用填，我们会发短信验证码给您。")
        field.widget.attrs["placeholder"] = _("不填则发送验证码")


class PhoneSignupForm(SignupForm):
    """Sign-up needs only the phone number; a password can be set for convenience."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password1" in self.fields:
            field = self.fields["password1"]
            field.required = False
            field.label = _("密码（可不填）")
            field.widget.attrs["placeholder"] = _("不填也可以，用短信验证码登录")

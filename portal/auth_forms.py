"""Sign-in for people with a phone: a code by SMS, or a password if they set one."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import LoginForm, SignupForm
from allauth.core import context, ratelimit
from django.utils.translation import gettext_lazy as _


class PhoneLoginForm(LoginForm):
    """The password box is optional: left empty, an SMS code is sent instead."""

    def _setup_password_field(self) -> None:
        field = self.fields["password"]
        field.required = False
        field.label = _("密码（可不填）")
        field.help_text = _("没有设置密码就不用填，我们会发短信验证码给您。")
        field.widget.attrs["placeholder"] = _("不填则发送验证码")

    def _clean_without_password(self, email: str | None, phone: str | None):
        """Ask for a code: the same answer whether or not the number is registered.

        allauth's code request says "unknown number" unless
        ACCOUNT_PREVENT_ENUMERATION is on, which would change sign-up as well.
        Here the per-number limit is counted either way (so even "too many"
        comes alike), and for an unregistered number the flow goes on with no
        user: the page says a code was sent, nothing is sent
        (``AccountAdapter.send_unknown_account_sms``), and no code works.
        """
        if not phone or email:
            return super()._clean_without_password(email, phone)
        adapter = get_adapter(self.request)
        if not ratelimit.consume(context.request, action="request_login_code",
                                 key=phone.lower()):
            self.add_error("login", adapter.validation_error("too_many_login_attempts"))
            return self.cleaned_data
        self.user = adapter.get_user_by_phone(phone)
        return self.cleaned_data


class PhoneSignupForm(SignupForm):
    """Sign-up needs only the phone number; a password can be set for convenience."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password1" in self.fields:
            field = self.fields["password1"]
            field.required = False
            field.label = _("密码（可不填）")
            field.widget.attrs["placeholder"] = _("不填也可以，用短信验证码登录")

"""Sign-in for people with a phone: a code by SMS, or a password if they set one."""

from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmLoginCodeForm, LoginForm, SignupForm, VerifyPhoneForm
from allauth.core import context, ratelimit
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

# The number a person typed, kept for the form they are sent back to after a
# code ran out of tries (portal.views_auth), so they need not type it again.
PREFILL_PHONE_KEY = "jy_prefill_phone"
# A password chosen while signing up again into an unfinished account: set on
# the account only once the code proves the number (AccountAdapter.set_phone_verified).
PENDING_PASSWORD_KEY = "jy_pending_password"


def sms_code_field() -> forms.CharField:
    """The box for the code from the SMS: digits only, so phones bring up the number pad."""
    length = settings.ALLAUTH_USER_CODE_FORMAT.get("length", 6)
    return forms.CharField(
        label=_("短信验证码"),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": f"[0-9]{{{length}}}",
                "maxlength": length,
                "class": "code-input",
            }
        ),
    )


def signup_unfinished(user) -> bool:
    """Signed up but never proved the number and never signed in: nobody's account yet.

    Such an account must not keep the number from signing up: the person who
    next proves the number by code takes it over, as signing in by code would.
    """
    return not user.phone_verified and user.last_login is None


class PhoneLoginForm(LoginForm):
    """The password box is optional: left empty, an SMS code is sent instead."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.request is not None:
            prefill = self.request.session.pop(PREFILL_PHONE_KEY, None)
            if prefill:
                self.initial["login"] = prefill

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


class PhoneConfirmLoginCodeForm(ConfirmLoginCodeForm):
    code = sms_code_field()


class PhoneVerifyForm(VerifyPhoneForm):
    code = sms_code_field()


class PhoneSignupForm(SignupForm):
    """Sign-up needs only the phone number; a password can be set for convenience.

    A number whose earlier sign-up never finished (``signup_unfinished``) is
    not "taken": signing up again goes on with that account, and the code sent
    now finishes it.
    """

    unfinished_user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].label = _("手机号")
        request = context.request
        if not self.is_bound and request is not None:
            prefill = request.session.pop(PREFILL_PHONE_KEY, None)
            if prefill:
                self.initial["phone"] = prefill
        if "password1" in self.fields:
            field = self.fields["password1"]
            field.required = False
            field.label = _("密码（可不填）")
            field.widget.attrs["placeholder"] = _("不填也可以，用短信验证码登录")

    def _clean_phone(self) -> None:
        phone = self.cleaned_data.get("phone")
        if phone:
            existing = get_adapter().get_user_by_phone(phone)
            if existing is not None and signup_unfinished(existing):
                self.unfinished_user = existing
                return
        super()._clean_phone()

    def save(self, request):
        if self.unfinished_user is None:
            return super().save(request)
        user = self.unfinished_user
        password = self.cleaned_data.get("password1")
        if password:
            # Not set now: whoever typed this number has not proved it yet.
            request.session[PENDING_PASSWORD_KEY] = {"user": user.pk,
                                                     "hash": make_password(password)}
        else:
            request.session.pop(PENDING_PASSWORD_KEY, None)
        self.custom_signup(request, user)
        return user

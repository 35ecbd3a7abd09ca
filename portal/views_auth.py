"""allauth's two code pages, saying how many tries are left and when to try again.

The pages stay allauth's (``ConfirmLoginCodeView`` and the phone verification
of ``verify_phone``), mounted at allauth's own paths in ``portal.urls``. What
changes is what a person is told:

- after a wrong code, how many tries are left ("还可以试 2 次");
- after the last one, that the code is spent, when a new one can come, and
  the form to get it, with their number already filled in;
- how long until "重新获取验证码" may be pressed, for the countdown of
  ``static/portal/sms-code.js`` (the page works without it).
"""

from __future__ import annotations

import math
import time

from allauth.account.internal.stagekit import clear_login
from allauth.account.views import (
    ConfirmLoginCodeView,
    _VerifyPhoneChangeView,
    _VerifyPhoneSignupView,
)
from allauth.core.exceptions import RateLimited
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic.edit import FormView

from .auth_forms import PREFILL_PHONE_KEY
from .phones import national

# One code a minute per number (ACCOUNT_RATE_LIMITS "1/m/key"): the time the
# resend button counts down, and the wait after a code ran out of tries.
RESEND_WAIT_SECONDS = 60


def _sent_at(state: dict) -> float:
    return state.get("sent_at") or state.get("at") or 0


def _wait_seconds(state: dict) -> int:
    return max(0, math.ceil(_sent_at(state) + RESEND_WAIT_SECONDS - time.time()))


def _tries_left_message(left: int) -> str:
    return ngettext("还可以试 %(n)d 次。", "还可以试 %(n)d 次。", left) % {"n": left}


def _locked_message(tries: int, wait: int) -> str:
    spent = ngettext("验证码连续输错 %(n)d 次，已经作废。", "验证码连续输错 %(n)d 次，已经作废。",
                     tries) % {"n": tries}
    if wait > 0:
        minutes = math.ceil(wait / 60)
        when = ngettext("请 %(n)d 分钟后重新获取验证码。", "请 %(n)d 分钟后重新获取验证码。",
                        minutes) % {"n": minutes}
    else:
        when = _("请重新获取验证码。")
    return f"{spent}{when}"


class _CodePageMixin:
    """What the two code pages share. ``code_process`` is allauth's process."""

    @property
    def code_process(self):
        raise NotImplementedError

    def wrong_code(self, form):
        """Count the try; on the page again with the tries left, or None when none are."""
        process = self.code_process
        if not process.record_invalid_attempt():
            return None
        left = process.max_attempts - process.state["failed_attempts"]
        form.add_error("code", _tries_left_message(left))
        # FormView's, not allauth's: that one would count this try again.
        return FormView.form_invalid(self, form)

    def locked_out(self, *, to: str, prefill: bool = True):
        """The code is spent: say so and when a new one can come, with the number filled in."""
        process = self.code_process
        if prefill:
            self.request.session[PREFILL_PHONE_KEY] = national(process.state.get("phone", ""))
        messages.error(self.request, _locked_message(process.max_attempts,
                                                     _wait_seconds(process.state)))
        return HttpResponseRedirect(reverse(to))

    def resend(self, url_name: str):
        process = self.code_process
        try:
            process.resend()
        except RateLimited:
            messages.error(self.request, _("验证码刚发出，请 1 分钟后再重新获取。"))
        else:
            process.state["sent_at"] = time.time()
            process.persist()
        return HttpResponseRedirect(self.passthrough_next_url(reverse(url_name)))

    def get_context_data(self, **kwargs):
        ret = super().get_context_data(**kwargs)
        ret["resend_wait"] = _wait_seconds(self.code_process.state)
        return ret


class ConfirmLoginCode(_CodePageMixin, ConfirmLoginCodeView):
    @property
    def code_process(self):
        return self._process

    def _resend_form_valid(self, form):
        return self.resend("account_confirm_login_code")

    def form_invalid(self, form):
        response = self.wrong_code(form)
        if response is not None:
            return response
        return self.locked_out(to="account_login")


class _VerifyPhoneMixin(_CodePageMixin):
    @property
    def code_process(self):
        return self.process

    def _resend_form_valid(self, form):
        return self.resend("account_verify_phone")

    def _verify_form_invalid(self, form):
        response = self.wrong_code(form)
        if response is not None:
            return response
        self.process.abort()
        return self.respond_process_failed(form)


class VerifyPhoneSignup(_VerifyPhoneMixin, _VerifyPhoneSignupView):
    def respond_process_failed(self, form):
        clear_login(self.request)
        # Back to where the code was asked for: the sign-up form, or the sign-in
        # form for someone who signed in with a password to a number not yet proved.
        to = "account_signup" if self.stage.login.signup else "account_login"
        return self.locked_out(to=to)


class VerifyPhoneChange(_VerifyPhoneMixin, _VerifyPhoneChangeView):
    def respond_process_failed(self, form):
        return self.locked_out(to="account_change_phone", prefill=False)


def verify_phone(request):
    if request.user.is_authenticated:
        return VerifyPhoneChange.as_view()(request)
    return VerifyPhoneSignup.as_view()(request)


confirm_login_code = ConfirmLoginCode.as_view()

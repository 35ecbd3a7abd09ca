"""Admin screens: the platforms' API keys (secret shown once, callback URL), and two
records that are read only: the call log and the updates posted to the platforms."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin.ui.tables import DateColumn
from wagtail.admin.views.generic import CreateView, InspectView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from buildings.access import may, require
from community.workflow import WorkflowError
from portal.services import audit

from .models import ApiCall, ApiKey, CallbackDelivery, DeliveryStatus
from .services import callback_resend


class ApiKeyCreateView(CreateView):
    """Creating a key issues its secret and shows it once, in the success message."""

    def save_instance(self):
        instance = self.form.save(commit=False)
        self.raw_key = instance.issue()
        instance.save()
        audit(actor=self.request.user, action="open311.key_issue", target=instance,
              platform=instance.platform)
        # Overriding save_instance skips Wagtail's own create action and its log entry.
        log(instance=instance, action="wagtail.create", user=self.request.user,
            content_changed=True)
        return instance

    def get_success_message(self, instance):
        return _("已为“%(p)s”创建接口密钥：%(k)s —— 只显示这一次，请立即复制交给对方。") % {
            "p": instance.platform, "k": self.raw_key}

    def form_valid(self, form):
        response = super().form_valid(form)
        # Keep the message on screen long enough to copy (Wagtail shows it on the index).
        messages.info(self.request, _("密钥只保存其摘要；遗失请停用旧密钥并新建。"))
        return response


class LocalTimeInspectView(InspectView):
    """Times in the community's time zone (Asia/Shanghai), whatever zone the request
    runs in: an operator compares them with the platform's +08:00 times."""

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime):
            local = timezone.localtime(value, ZoneInfo(settings.TIME_ZONE))
            return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({local:%z})"
        return value


class DeliveryInspectView(LocalTimeInspectView):
    """A delivery's page, with 重新发送 (POST, to ``_resend``) once it gave up."""

    template_name = "open311/delivery_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.object.status in (DeliveryStatus.FAILED, DeliveryStatus.DROPPED) and may(
                self.request.user, "open311.resend_callback", self.object):
            context["resend_url"] = reverse("open311_deliveries:resend", args=[self.object.pk])
        return context


def _columns(model, names: list[str]) -> list:
    """``list_display`` with every date as "3 分钟前", the exact time (in the admin's
    time zone, the community's by default) on hover."""
    out = []
    for name in names:
        field = model._meta.get_field(name)
        if isinstance(field, models.DateTimeField):
            out.append(DateColumn(name, label=field.verbose_name, sort_key=name))
        else:
            out.append(name)
    return out


class ApiKeyViewSet(ModelViewSet):
    model = ApiKey
    icon = "key"
    menu_label = _("接口密钥")
    url_prefix = "open311/keys"
    url_namespace = "open311_keys"
    add_to_admin_menu = False
    add_view_class = ApiKeyCreateView
    form_fields = ["platform", "contact", "active", "sees_all_cases", "rate_per_minute",
                   "callback_url", "callback_secret", "media_hosts"]
    list_display = _columns(ApiKey, ["platform", "prefix", "active", "sees_all_cases",
                                     "rate_per_minute", "callback_url", "last_used_at",
                                     "created_at"])
    list_filter = ["active"]
    search_fields = ["platform", "prefix"]


class ApiCallViewSet(ModelViewSet):
    """接口调用记录: read and inspect only (``StaffReadPolicy`` gives nothing but "view")."""

    model = ApiCall
    icon = "list-ul"
    menu_label = _("接口调用记录")
    url_prefix = "open311/calls"
    url_namespace = "open311_calls"
    add_to_admin_menu = False
    form_fields = []
    list_display = _columns(ApiCall, ["at", "platform", "method", "path", "status", "error",
                                      "duration_ms", "case_id", "ip"])
    list_filter = ["platform", "status", "method"]
    search_fields = ["path", "error", "platform"]
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_class = LocalTimeInspectView
    copy_view_enabled = False


class CallbackDeliveryViewSet(ModelViewSet):
    """回调推送: every update owed to a platform, its attempts and the last error.
    Read and inspect only (``StaffReadPolicy``); written by ``services.callback_deliver``."""

    model = CallbackDelivery
    icon = "mail"
    menu_label = _("回调推送")
    url_prefix = "open311/deliveries"
    url_namespace = "open311_deliveries"
    add_to_admin_menu = False
    form_fields = []
    list_display = _columns(CallbackDelivery, [
        "created_at", "platform", "case", "event_kind", "status", "attempts", "response_status",
        "last_error", "next_attempt_at", "delivered_at"])
    list_filter = ["platform", "status", "event_kind"]
    search_fields = ["platform", "last_error", "url"]
    list_per_page = 50
    inspect_view_enabled = True
    inspect_view_class = DeliveryInspectView
    copy_view_enabled = False

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("resend/<int:pk>/", self.resend_view, name="resend"),
        ]

    def resend_view(self, request, pk):
        return _resend(request, pk, self)


@require_POST
def _resend(request, pk, viewset):
    """重新发送: one small view for one action; the service writes the audit row."""
    if not viewset.permission_policy.user_has_permission(request.user, "view"):
        raise PermissionDenied
    delivery = get_object_or_404(CallbackDelivery.objects.select_related("case"), pk=pk)
    require(request.user, "open311.resend_callback", delivery)
    try:
        callback_resend(actor=request.user, delivery_id=delivery.pk)
        log(instance=delivery, action="jiayuan.open311.resend", user=request.user)
        messages.success(request, gettext_now("已重新排队发送。"))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    return redirect(viewset.get_url_name("inspect"), delivery.pk)


class Open311Group(ViewSetGroup):
    menu_label = _("外部平台接口")
    menu_icon = "link"
    items = (ApiKeyViewSet, ApiCallViewSet, CallbackDeliveryViewSet)

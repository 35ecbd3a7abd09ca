"""The register import screens (住户登记 → 导入): upload, preview, confirm, template.

Part of the "住户登记" admin group (``buildings.viewsets``). The plan is made
by ``buildings.importer`` and applied by its service; these views only show
and confirm it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin.menu import MenuItem
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSet
from wagtail.log_actions import log

from portal.downloads import as_download

from . import importer
from .access import may, scope_of
from .models import (
    Building,
    Community,
    RegisterImport,
)
from .services import (
    RegisterChanged,
    RegisterError,
    register_import,
    register_import_preview,
    register_import_replan,
)

ALL_ACTIONS = frozenset({"add", "change", "delete", "view"})


class ImportUploadForm(forms.Form):
    community = forms.ModelChoiceField(queryset=Community.objects.none(),
                                       label=gettext_lazy("社区"), empty_label=None)
    file = forms.FileField(
        label=gettext_lazy("登记册文件"),
        help_text=gettext_lazy("搬迁办的花名册：.xlsx 或 .csv（UTF-8 或 GB18030）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        if communities.count() == 1:
            self.fields["community"].initial = communities.first()
            self.fields["community"].widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importer.MAX_FILE_BYTES:
            raise ValidationError(_("文件太大（超过 10 MB）。"))
        return upload


def _import_communities(user):
    scope = scope_of(user)
    if scope.is_superuser:
        return Community.objects.order_by("name")
    return Community.objects.filter(pk__in=scope.admin_community_ids).order_by("name")


class ImportMixin(generic.base.WagtailAdminTemplateMixin):
    header_icon = "upload"
    page_title = gettext_lazy("导入登记册")

    def dispatch(self, request, *args, **kwargs):
        if not may(request.user, "buildings.import_register"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return super().get_breadcrumbs_items() + [
            {"url": reverse("register_import:index"), "label": _("导入登记册")}
        ]

    def get_record(self, pk) -> RegisterImport:
        record = get_object_or_404(RegisterImport.objects.select_related("community"), pk=pk)
        if not importer.may_import_into(self.request.user, record.community):
            raise Http404  # another community's import: as if it did not exist
        return record


class ImportIndexView(ImportMixin, View):
    """The upload form, the template file, and the imports made so far."""

    template_name = "buildings/admin/import_index.html"

    def render(self, form, error=""):
        communities = _import_communities(self.request.user)
        imports = RegisterImport.objects.filter(community__in=communities).select_related(
            "uploaded_by", "applied_by", "community"
        )[:50]
        context = self.get_context_data(form=form, error=error, imports=imports,
                                        columns=[importer.COLUMNS[n] for n in importer.COLUMNS],
                                        required=importer.REQUIRED_COLUMNS)
        return TemplateResponse(self.request, self.template_name, context,
                                status=400 if error else 200)

    def get(self, request):
        return self.render(ImportUploadForm(communities=_import_communities(request.user)))

    def post(self, request):
        form = ImportUploadForm(request.POST, request.FILES,
                                communities=_import_communities(request.user))
        if not form.is_valid():
            return self.render(form, error=_("请检查表单。"))
        upload = form.cleaned_data["file"]
        try:
            plan = importer.plan_import(upload.read(), upload.name, form.cleaned_data["community"])
        except importer.ImportFileError as exc:
            return self.render(form, error=str(exc))
        record = register_import_preview(actor=request.user, plan=plan)
        return redirect("register_import:preview", record.pk)


class ImportPreviewView(ImportMixin, View):
    """Counts, and every rejected row with its row number and reasons; then confirm."""

    template_name = "buildings/admin/import_preview.html"

    def get(self, request, pk):
        record = self.get_record(pk)
        plan = importer.ImportPlan.from_json(record.plan)
        labels = {
            pk: name or f"{number}栋"
            for pk, name, number in Building.objects.filter(
                community=record.community
            ).values_list("pk", "name", "number")
        }
        context = self.get_context_data(
            record=record,
            plan=plan,
            columns=[importer.column_label(name) for name in importer.TEMPLATE_COLUMNS],
            rejected=[
                (r.row, r.reasons, [r.cells.get(name, "") for name in importer.TEMPLATE_COLUMNS])
                for r in plan.rejected
            ],
            units=[(labels.get(b, b), n) for b, n in plan.units],
            sample=[(labels.get(h.building_id, ""), h) for h in plan.new[:20]],
            may_confirm=record.state == RegisterImport.State.PREVIEWED and plan.ok,
        )
        return TemplateResponse(request, self.template_name, context)


class ImportConfirmView(ImportMixin, View):
    def post(self, request, pk):
        record = self.get_record(pk)
        plan = importer.ImportPlan.from_json(record.plan)
        try:
            register_import(actor=request.user, plan=plan, record=record)
        except RegisterChanged as exc:
            register_import_replan(actor=request.user, record=record, plan=exc.plan)
            messages.warning(request, str(exc))
            return redirect("register_import:preview", record.pk)
        except RegisterError as exc:
            messages.error(request, str(exc))
            return redirect("register_import:preview", record.pk)
        log(instance=record, action="jiayuan.register.import", user=request.user,
            data={"households": len(plan.new), "units": len(plan.units)})
        messages.success(request, _("导入完成：新增 %(new)d 户、%(units)d 个单元。") % {
            "new": len(plan.new), "units": len(plan.units)})
        return redirect("register_import:index")


class ImportTemplateView(ImportMixin, View):
    def get(self, request):
        response = HttpResponse(
            importer.template_workbook(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        return as_download(response, _("住户登记模板") + ".xlsx", fallback="register-template.xlsx")


class RegisterImportViewSet(ViewSet):
    """导入登记册: upload → preview → confirm (all or nothing), and the template file."""

    name = "register_import"
    icon = "upload"
    menu_label = gettext_lazy("导入登记册")

    @property
    def menu_item_class(self):
        class ImportMenuItem(MenuItem):
            def is_shown(self, request):
                return scope_of(request.user).is_admin

        return ImportMenuItem

    def get_urlpatterns(self):
        return [
            path("", ImportIndexView.as_view(), name="index"),
            path("preview/<int:pk>/", ImportPreviewView.as_view(), name="preview"),
            path("confirm/<int:pk>/", ImportConfirmView.as_view(), name="confirm"),
            path("template.xlsx", ImportTemplateView.as_view(), name="template"),
        ]

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buildings.models import Building

from .choices import AckMethod, Category


class NoticeForm(forms.Form):
    """The building head's phone form. Only their own buildings are offered or accepted."""

    title = forms.CharField(label=_("标题"), max_length=80)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    text = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=4000)
    # data-jy-photos: static/portal/forms.js shrinks the photo on the phone before it is
    # sent, as on the case report form (the server shrinks it again either way).
    photo = forms.ImageField(label=_("照片（可不传）"), required=False, widget=forms.FileInput(
        attrs={"accept": "image/*", "data-jy-photos": "1"}))
    ends_at = forms.DateTimeField(
        label=_("结束时间（可不填）"), required=False,
        help_text=_("停水停电等到这个时间结束，通知自动归入往期"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    buildings = forms.ModelMultipleChoiceField(
        label=_("发给哪些楼栋"), queryset=Building.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("只能选择您负责的楼栋。"),
                        "required": _("请选择楼栋。")},
    )
    ack_wanted = forms.BooleanField(label=_("需要每户确认收到"), required=False)
    urgent = forms.BooleanField(label=_("紧急（同时发短信）"), required=False)

    def __init__(self, *args, building_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = Building.objects.filter(
            pk__in=building_ids).order_by("number")

    def clean_ends_at(self):
        ends_at = self.cleaned_data.get("ends_at")
        if ends_at and ends_at <= timezone.now():
            raise forms.ValidationError(_("结束时间已经过了，请重新选择。"))
        return ends_at


class ToldForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    method = forms.ChoiceField(choices=[(AckMethod.PHONE, AckMethod.PHONE.label),
                                        (AckMethod.DOOR, AckMethod.DOOR.label)])


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("通过")), ("reject", _("退回"))])
    comment = forms.CharField(label=_("意见"), required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("comment"):
            self.add_error("comment", _("退回时请写明原因。"))
        return data

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Relation
from .models import Building


class ClaimForm(forms.Form):
    """"3栋 2单元 501": three boxes an old hand can fill."""

    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), empty_label=_("请选择楼栋"),
        error_messages={"required": _("请选择楼栋。"),
                        "invalid_choice": _("没有这个楼栋。")},
    )
    unit = forms.IntegerField(
        label=_("单元"), min_value=1, max_value=20,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "2"}),
        error_messages={"required": _("请填写单元号。")},
    )
    number = forms.CharField(
        label=_("门牌号"), max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "501"}),
        error_messages={"required": _("请填写门牌号。")},
    )
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices,
                                 initial=Relation.FAMILY)
    name = forms.CharField(label=_("您的姓名"), max_length=40,
                           error_messages={"required": _("请填写您的姓名，方便楼栋长核对。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.order_by("number")


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("不通过的原因"), max_length=200,
        error_messages={"required": _("请填写不通过的原因。")},
    )

from django import forms
from django.utils.translation import gettext_lazy as _

from buildings.models import Building

from .choices import AckMethod, Category


class NoticeForm(forms.Form):
    """The building head's phone form. Only their own buildings are offered or accepted."""

    title = forms.CharField(label=_("标题"), max_length=80)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    text = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=4000)
    photo = forms.ImageField(label=_("照片（可不传）"), required=False)
    buildings = forms.ModelMultipleChoiceField(
        label=_("发给哪些楼栋"), queryset=Building.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("只能选择您负责的楼栋。 Only your own buildings."),
                        "required": _("请选择楼栋。 Choose a building.")},
    )
    ack_wanted = forms.BooleanField(label=_("需要每户确认收到"), required=False)
    urgent = forms.BooleanField(label=_("紧急（同时发短信）"), required=False)

    def __init__(self, *args, building_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = Building.objects.filter(
            pk__in=building_ids).order_by("number")


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
            self.add_error("comment", _("退回时请写明原因。 Say why it goes back."))
        return data

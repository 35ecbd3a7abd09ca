"""Phone forms: apply, post a task, check in, write to the task's people."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from buildings.access import scope_of
from buildings.models import Building

from .choices import FreeTime, Skill, TaskKind
from .models import Team

DT_FORMAT = "%Y-%m-%dT%H:%M"


class ApplyForm(forms.Form):
    real_name = forms.CharField(label=_("真实姓名"), max_length=40)
    skills = forms.MultipleChoiceField(label=_("特长（可多选）"), choices=Skill.choices,
                                       required=False, widget=forms.CheckboxSelectMultiple)
    free_times = forms.MultipleChoiceField(label=_("常有空的时间"), choices=FreeTime.choices,
                                           required=False, widget=forms.CheckboxSelectMultiple)
    team = forms.ModelChoiceField(label=_("加入服务队（可不选）"), queryset=Team.objects.none(),
                                  required=False, empty_label=_("不加入"))
    hide_from_leaderboard = forms.BooleanField(label=_("排行榜上不显示我的名字"), required=False)

    def __init__(self, *args, community_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(community_id=community_id)


class ProfileForm(forms.Form):
    skills = ApplyForm.base_fields["skills"]
    free_times = ApplyForm.base_fields["free_times"]
    hide_from_leaderboard = ApplyForm.base_fields["hide_from_leaderboard"]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=80)
    public_title = forms.CharField(
        label=_("对外标题（可不填）"), max_length=80, required=False,
        help_text=_("任务列表上给所有人看的标题，不写人名，例如“陪同就医”。"))
    kind = forms.ChoiceField(label=_("类别"), choices=TaskKind.choices, initial=TaskKind.GENERAL)
    description = forms.CharField(label=_("要做什么"), widget=forms.Textarea(attrs={"rows": 3}),
                                  required=False)
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none(),
                                      empty_label=_("请选择"))
    unit = forms.IntegerField(label=_("单元（可不填）"), min_value=1, max_value=20, required=False)
    flat = forms.CharField(label=_("服务的住户门牌（可不填，只对报上名的志愿者显示）"),
                           max_length=10, required=False)
    place = forms.CharField(label=_("地点说明（可不填）"), max_length=100, required=False)
    starts_at = forms.DateTimeField(label=_("开始时间"), input_formats=[DT_FORMAT],
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                               format=DT_FORMAT))
    ends_at = forms.DateTimeField(label=_("结束时间"), input_formats=[DT_FORMAT],
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                             format=DT_FORMAT))
    places = forms.IntegerField(label=_("需要人数"), min_value=1, max_value=500, initial=1)
    skills = forms.MultipleChoiceField(label=_("需要的特长（可不选）"), choices=Skill.choices,
                                       required=False, widget=forms.CheckboxSelectMultiple)
    points = forms.IntegerField(label=_("积分（0 = 按积分规则）"), min_value=0, max_value=1000,
                                initial=0, required=False)
    needs_approval = forms.BooleanField(label=_("报名需要我审核"), required=False)
    withdraw_cutoff_hours = forms.IntegerField(label=_("开始前几小时内不能退出"), min_value=0,
                                               max_value=72, initial=2)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        qs = Building.objects.all()
        if not scope.is_superuser:
            qs = qs.filter(grid_id__in=scope.grid_ids | scope.admin_grid_ids)
        self.fields["building"].queryset = qs.order_by("number")

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("结束时间要晚于开始时间。"))
        building, unit, flat = data.get("building"), data.get("unit"), data.get("flat")
        data["unit_obj"] = data["household"] = None
        if building and unit:
            data["unit_obj"] = building.units.filter(number=unit).first()
            if data["unit_obj"] is None:
                self.add_error("unit", _("这栋楼没有这个单元。"))
        if flat:
            if data.get("unit_obj") is None:
                self.add_error("flat", _("填写门牌时请同时填写单元。"))
            else:
                data["household"] = data["unit_obj"].households.filter(number=flat.strip()).first()
                if data["household"] is None:
                    self.add_error("flat", _("登记册里没有这一户。"))
        return data


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("签到码（向组织者要）"), max_length=6, min_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                         "autocomplete": "one-time-code"}))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("给本任务全体志愿者发消息"), max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    sms = forms.BooleanField(label=_("同时发短信"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class SummaryForm(forms.Form):
    summary = forms.CharField(label=_("完成情况"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class CorrectionForm(forms.Form):
    hours = forms.DecimalField(label=_("时长（小时，可为负）"), max_digits=6, decimal_places=2,
                               required=False)
    points = forms.IntegerField(label=_("积分（可为负）"), required=False, min_value=-100000,
                                max_value=100000)
    reason = forms.CharField(label=_("更正原因"), max_length=200)

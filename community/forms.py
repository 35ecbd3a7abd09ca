"""Forms of the closed loop: the report, and the small forms of each move."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from buildings.choices import ResidencyState
from buildings.models import Building, Department, Household, PublicPlace, Unit
from portal.models import User
from portal.params import BadParameter, parse_id, parse_ids
from portal.phones import normalize_phone
from portal.uploads.photos import PhotosField
from portal.uploads.voice import VoiceField

from .choices import Channel, Priority
from .models import Case, Category
from .workflow import can_see


def where_choices(user, *, poster_unit: Unit | None = None,
                  poster_building: Building | None = None) -> list[tuple[str, str]]:
    """Own flats first, then the poster's stairwell, then public places and buildings."""
    choices = []
    if user is not None and user.is_authenticated:
        for h in (Household.objects.filter(residencies__user=user,
                                           residencies__state=ResidencyState.VERIFIED)
                  .select_related("unit__building")):
            choices.append((f"h{h.pk}", _("我家：%(a)s") % {"a": h.address}))
    if poster_unit is not None:
        choices.insert(0, (f"u{poster_unit.pk}", _("楼道：%(u)s") % {"u": str(poster_unit)}))
    elif poster_building is not None:
        choices.insert(0, (f"b{poster_building.pk}", poster_building.label))
    places = [(f"p{p.pk}", p.name) for p in PublicPlace.objects.order_by("name")]
    buildings = [(f"b{b.pk}", b.label) for b in Building.objects.order_by("number")]
    if places:
        choices.append((_("公共场所"), places))
    if buildings:
        choices.append((_("楼栋（公共部位）"), buildings))
    return choices


def resolve_where(value: str) -> dict:
    """``h12`` → {"household": ...}; ``p3`` → {"place": ...}; ``u5``/``b2`` likewise.

    Empty, or a place that no longer exists, is ``{}``; anything that is not a
    letter and an id raises BadParameter (a 400)."""
    models = {"h": ("household", Household.objects.select_related("unit__building__grid")),
              "p": ("place", PublicPlace.objects.select_related("grid")),
              "u": ("unit", Unit.objects.select_related("building__grid")),
              "b": ("building", Building.objects.select_related("grid"))}
    if not value:
        return {}
    pk = parse_id(value[1:] if value[0] in models else "", name=_("地点"))
    name, qs = models[value[0]]
    obj = qs.filter(pk=pk).first()
    return {name: obj} if obj is not None else {}


class ReportForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("什么问题"), queryset=Category.objects.filter(active=True),
        to_field_name="code", widget=forms.RadioSelect,
        error_messages={"required": _("请选择问题的类别。"),
                        "invalid_choice": _("请选择问题的类别。")})
    where = forms.ChoiceField(label=_("在哪里"), choices=(),
                              error_messages={"required": _("请选择地点。"),
                                              "invalid_choice": _("请选择地点。")})
    description = forms.CharField(label=_("说一说情况"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    voice = VoiceField(label=_("或者按住说话"))
    photos = PhotosField(label=_("拍照（最多6张）"))
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=9,
                                  decimal_places=6, min_value=-90, max_value=90)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=9,
                                   decimal_places=6, min_value=-180, max_value=180)

    def __init__(self, *args, user=None, behalf: bool = False, where=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["where"].choices = [("", _("请选择"))] + (where or where_choices(user))
        self.behalf = behalf
        if behalf:
            self.fields["channel"] = forms.ChoiceField(
                label=_("来源"), initial=Channel.PHONE,
                choices=[(c, Channel(c).label) for c in
                         (Channel.PHONE, Channel.WALK_IN, Channel.VISIT, Channel.CHAT)])
            self.fields["reporter_phone"] = forms.CharField(
                label=_("居民手机号"), required=False, max_length=20)
            self.fields["reporter_name"] = forms.CharField(
                label=_("居民称呼"), required=False, max_length=40)
            self.fields["flat"] = forms.CharField(
                label=_("门牌号（选了楼栋时可填，例如 501）"), required=False, max_length=10)

    def clean_reporter_phone(self):
        raw = self.cleaned_data.get("reporter_phone", "").strip()
        return normalize_phone(raw) if raw else ""

    def clean(self):
        data = super().clean()
        if not (data.get("description", "").strip() or data.get("voice") or data.get("photos")):
            if not self.errors.get("voice") and not self.errors.get("photos"):
                self.add_error("description", _(
                    "请写几个字、录一段话或拍一张照片。"))
        place = resolve_where(data.get("where", ""))
        if data.get("where") and not place:
            self.add_error("where", _("请选择地点。"))
        if self.behalf and data.get("flat") and "building" in place:
            h = (Household.objects.filter(unit__building=place["building"],
                                          number=data["flat"].strip()).first())
            if h is None:
                self.add_error("flat", _("这栋楼没有这个门牌号。"))
            else:
                place = {"household": h}
        if self.behalf and not (data.get("reporter_phone") or data.get("reporter_name")):
            self.add_error("reporter_name", _("请填写居民的称呼或手机号。"))
        data["place"] = place
        return data


class MoveForm(forms.Form):
    """The form of one move on a case (``community.views.make_move`` makes it): it knows
    the case and who is making the move, for the ids it turns into things."""

    def __init__(self, *args, case=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case, self.user = case, user


class ReasonForm(MoveForm):
    reason = forms.CharField(label=_("原因"), max_length=500,
                             error_messages={"required": _("请写明原因。")})


class TextForm(MoveForm):
    text = forms.CharField(label=_("内容"), max_length=2000,
                           error_messages={"required": _("请填写内容。")})
    photos = PhotosField(label=_("照片"))


class TriageForm(MoveForm):
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.all(),
                                      to_field_name="code")
    priority = forms.ChoiceField(label=_("紧急程度"), choices=Priority.choices)
    note = forms.CharField(label=_("备注"), required=False, max_length=500)


class DispatchForm(MoveForm):
    """``to`` is ``v`` (volunteers), ``d<id>`` (a department of the case's community) or
    ``u<id>`` (a person); ``cleaned_data["target"]`` is the service's keyword arguments.
    Whether that person may be given the case is the service's to say."""

    to = forms.CharField(label=_("交给"), error_messages={
        "required": _("请选择承办部门、承办人或志愿服务。")})
    note = forms.CharField(label=_("交办说明"), required=False, max_length=500)

    def clean(self):
        data = super().clean()
        value = data.get("to")
        if value is None:
            return data
        target = {}
        if value == "v":
            target = {"to_volunteers": True}
        else:
            try:
                pk = parse_id(value[1:])
            except BadParameter:
                pk = None
            if pk is not None and value[:1] == "d":
                department = Department.objects.filter(
                    pk=pk, community_id=self.case.community_id).first()
                target = {"department": department} if department else {}
            elif pk is not None and value[:1] == "u":
                person = User.objects.filter(pk=pk).first()
                target = {"person": person} if person else {}
        if not target:
            self.add_error("to", _("请选择承办部门、承办人或志愿服务。"))
        data["target"] = target
        return data


class MergeForm(MoveForm):
    """``cleaned_data["into"]`` is the kept case, one this person can see."""

    into = forms.IntegerField(
        label=_("合并到诉求编号"), min_value=1, max_value=2**31 - 1,
        error_messages={"required": _("请选择要合并到的诉求。")})
    note = forms.CharField(label=_("说明"), required=False, max_length=500)

    def clean_into(self):
        into = Case.objects.filter(pk=self.cleaned_data["into"]).first()
        if into is None or not can_see(self.user, into):
            raise ValidationError(_("没有这件诉求。"))
        return into


class WhistleForm(MoveForm):
    """吹哨: the departments summoned and the lead, all of the case's community."""

    # Read from the posted ids in clean(); declared so their errors have a place.
    departments = forms.Field(label=_("部门"), required=False)
    lead = forms.Field(label=_("牵头部门"), required=False)
    note = forms.CharField(label=_("说明"), required=False, strip=False)

    def clean(self):
        data = super().clean()
        try:
            ids = set(parse_ids(self.data.getlist("departments"), name=_("部门")))
            lead_id = parse_id(self.data.get("lead"), name=_("牵头部门"))
        except BadParameter as exc:
            self.add_error("departments", str(exc))
            return data
        found = {d.pk: d for d in Department.objects.filter(
            pk__in=ids | {lead_id}, community_id=self.case.community_id)}
        if not ids or set(found) != ids | {lead_id}:
            self.add_error("departments", _("请从列表里选择本社区的部门。"))
            return data
        data["departments"] = [found[i] for i in ids]
        data["lead"] = found[lead_id]
        return data


class FeedbackForm(MoveForm):
    fixed = forms.TypedChoiceField(label=_("问题解决了吗？"), coerce=lambda v: v == "yes",
                                   choices=[("yes", _("解决了")), ("no", _("没解决"))],
                                   widget=forms.RadioSelect, error_messages={
                                       "required": _("请告诉我们问题解决了没有。")})
    rating = forms.TypedChoiceField(label=_("满意吗？"), coerce=int, required=False,
                                    empty_value=None,
                                    choices=[(str(i), str(i)) for i in range(5, 0, -1)],
                                    widget=forms.RadioSelect)
    words = forms.CharField(label=_("想说的话（可不填）"), required=False, max_length=300)

    def clean(self):
        data = super().clean()
        if data.get("fixed") and data.get("rating") is None:
            self.add_error("rating", _("请给办理结果打分（1到5颗星）。"))
        return data


def validate_phone_user(phone: str):
    if not phone:
        return None
    try:
        return User.objects.filter(phone=normalize_phone(phone)).first()
    except ValidationError:
        return None


class CalendarYearForm(forms.Form):
    """A year's schedule as the State Council publishes it: typed lines or an .ics file."""

    year = forms.IntegerField(label=_("年份"), min_value=2020, max_value=2100,
                              error_messages={"required": _("请填写年份。"),
                                              "invalid": _("年份要写成数字，例如 2027。"),
                                              "min_value": _("年份不对。"),
                                              "max_value": _("年份不对。")})
    text = forms.CharField(
        label=_("放假和调休安排"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": "2027-01-01 至 2027-01-03 元旦\n"
                                                                 "上班 2027-02-07 春节调休"}),
        help_text=_("每行一段：放假写“开始日期 至 结束日期 名称”，调休上班写“上班 日期”。"))
    ics = forms.FileField(label=_("或上传 .ics 日历文件"), required=False)

    def clean_ics(self):
        f = self.cleaned_data.get("ics")
        if f and f.size > 512 * 1024:
            raise forms.ValidationError(_("日历文件太大。"))
        return f

    def clean(self):
        data = super().clean()
        if not data.get("text", "").strip() and not data.get("ics"):
            raise forms.ValidationError(_("请填写放假安排，或上传 .ics 日历文件。"))
        return data

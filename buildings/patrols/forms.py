from django import forms
from django.utils.translation import gettext_lazy as _

from portal.uploads.photos import PhotosField
from portal.uploads.voice import VoiceField

from .choices import Condition, Finding, Met


class VisitForm(forms.Form):
    met = forms.ChoiceField(label=_("见到了谁"), choices=Met.choices, widget=forms.RadioSelect)
    condition = forms.ChoiceField(label=_("情况怎么样"), choices=Condition.choices,
                                  required=False, widget=forms.RadioSelect)
    finding = forms.ChoiceField(label=_("发现了什么"), choices=Finding.choices,
                                initial=Finding.NONE, widget=forms.RadioSelect)
    note = forms.CharField(label=_("说明（可不写）"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("拍照（可不拍）"))
    voice = VoiceField(label=_("语音"))


class DisputeFromVisitForm(forms.Form):
    title = forms.CharField(label=_("纠纷事项"), max_length=80, required=False)
